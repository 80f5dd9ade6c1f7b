using LlmServe.LoadGen.Cli;
using LlmServe.LoadGen.Datasets;
using LlmServe.LoadGen.Metrics;

namespace LlmServe.LoadGen.Tests.Cli;

public sealed class LoadGenArgumentsTests
{
    [Fact]
    public void Vllm_spellings_parse_into_options()
    {
        var o = LoadGenArguments.Parse([
            "--base-url", "http://h:9000", "--endpoint", "/v1/chat/completions", "--model", "m", "--request-rate", "inf",
            "--max-concurrency", "256", "--num-prompts", "1000", "--goodput", "ttft:200", "tpot:50", "--ignore-eos",
            "--percentiles", "50, 99.9", "--prompt-format", "text", "--floor-model", "llama-3.1-8b", "--floor-gemm-tflops", "800"]);

        Assert.Equal(new Uri("http://h:9000"), o.BaseUrl);
        Assert.Equal("/v1/chat/completions", o.Endpoint);
        Assert.True(double.IsPositiveInfinity(o.RequestRate));
        Assert.Equal(256, o.MaxConcurrency);
        Assert.Equal(new GoodputSlo(200, 50, null), o.Goodput);
        Assert.True(o.IgnoreEos);
        Assert.Equal([50, 99.9], o.Percentiles);
        Assert.Equal(PromptFormat.Text, o.PromptFormat);
        Assert.True(o.WantsFloor);
        Assert.Equal(800, o.FloorGemmTflops);
    }

    [Fact]
    public void Sampling_fields_parse_and_stay_unset_by_default()
    {
        var o = LoadGenArguments.Parse(["--model", "m", "--temperature", "0.8", "--top-p", "0.95", "--top-k", "50", "--min-p", "0.05"]);
        Assert.Equal((0.8, 0.95, 50, 0.05), (o.Temperature, o.TopP!.Value, o.TopK!.Value, o.MinP!.Value));

        var plain = LoadGenArguments.Parse(["--model", "m"]);
        Assert.Equal((0.0, (double?)null, (int?)null, (double?)null), (plain.Temperature, plain.TopP, plain.TopK, plain.MinP));
    }

    [Theory]
    [InlineData("--model", "m", "--top-p", "0")]
    [InlineData("--model", "m", "--top-p", "1.5")]
    [InlineData("--model", "m", "--top-k", "-2")]
    [InlineData("--model", "m", "--min-p", "2")]
    [InlineData("--model", "m", "--temperature", "-1")]
    [InlineData("--num-prompts", "5")]
    [InlineData("--model", "m", "--bogus", "1")]
    [InlineData("--model", "m", "--dataset-name", "sharegpt")]
    [InlineData("--model", "m", "--num-prompts")]
    [InlineData("--model", "m", "--dataset-name", "alpaca")]
    [InlineData("--model", "m", "--endpoint", "/v1/chat/completions", "--prompt-format", "ids")]
    public void Bad_command_lines_are_refused_with_a_message(params string[] args)
    {
        var e = Assert.Throws<FormatException>(() => LoadGenArguments.Parse(args));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }
}
