using System.Text.Json;
using LlmServe.LoadGen.Datasets;
using LlmServe.LoadGen.Http;
using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Tests.Http;

/// <summary>What each benchmark request asks of the server: vLLM's fields only when given.</summary>
public sealed class RequestBodyTests
{
    private static JsonElement Body(SamplingSettings sampling, string endpoint = "/v1/completions")
    {
        using var server = new TargetServer(new Uri("http://127.0.0.1:9"), endpoint, "m", null, 1, TimeSpan.FromSeconds(1));
        var sender = new StreamingRequestSender(server, sampling);
        var request = endpoint.Contains("chat", StringComparison.Ordinal)
            ? new BenchRequest(null, "hello", 1, 16)
            : new BenchRequest([1, 2, 3], null, 3, 16);
        return JsonDocument.Parse(sender.Body(request)).RootElement.Clone();
    }

    [Fact]
    public void Truncation_fields_are_sent_when_set()
    {
        var body = Body(new SamplingSettings(0.8, IgnoreEos: true, IncludeUsage: true, TopP: 0.95, TopK: 50, MinP: 0.05));

        Assert.Equal(0.8, body.GetProperty("temperature").GetDouble());
        Assert.Equal(0.95, body.GetProperty("top_p").GetDouble());
        Assert.Equal(50, body.GetProperty("top_k").GetInt32());
        Assert.Equal(0.05, body.GetProperty("min_p").GetDouble());
        Assert.True(body.GetProperty("ignore_eos").GetBoolean());
        Assert.Equal(16, body.GetProperty("min_tokens").GetInt32());
    }

    [Fact]
    public void Unset_fields_are_left_to_the_server()
    {
        var body = Body(new SamplingSettings(0, IgnoreEos: false, IncludeUsage: true), "/v1/chat/completions");

        Assert.False(body.TryGetProperty("top_p", out _));
        Assert.False(body.TryGetProperty("top_k", out _));
        Assert.False(body.TryGetProperty("min_p", out _));
        Assert.False(body.TryGetProperty("ignore_eos", out _));
        Assert.Equal(16, body.GetProperty("max_completion_tokens").GetInt32());
    }
}
