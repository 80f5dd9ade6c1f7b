using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmServe.LoadGen.Cli;
using LlmServe.LoadGen.Metrics;
using LlmServe.LoadGen.Reporting;
using LlmServe.LoadGen.Running;
using LlmServe.TestSupport;

namespace LlmServe.LoadGen.Tests.Running;

/// <summary>
/// The load generator against the real pipeline: gateway, tokenizer, scheduler, worker and detokenizer as separate
/// processes over nats-server, serving the tiny random-weight demo model on CPU.
/// </summary>
public sealed class LoadGenAgainstPipelineTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private PipelineCluster Cluster => fixture.Cluster;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private LoadGenOptions Options(params string[] args) =>
        LoadGenArguments.Parse(["--base-url", Cluster.BaseAddress.AbsoluteUri, "--model", Cluster.Model, "--quiet", .. args]);

    private static async Task<(RunReport Report, string Table)> RunAsync(LoadGenOptions options)
    {
        var stdout = new StringWriter();
        var report = await LoadGenApplication.RunAsync(options, stdout, new StringWriter(), Ct);
        return (report, stdout.ToString());
    }

    private static string TempFile(string name) => Path.Combine(Path.GetTempPath(), $"loadgen-{Guid.NewGuid():N}-{name}");

    [Fact]
    public async Task Random_token_id_prompts_all_complete_with_exact_input_and_output_lengths()
    {
        string resultFile = TempFile("result.json");
        var (report, table) = await RunAsync(Options("--tokenizer", Cluster.ModelDirectory, "--num-prompts", "16", "--random-input-len", "48",
            "--random-output-len", "8", "--ignore-eos", "--max-concurrency", "4", "--seed", "3", "--result-file", resultFile,
            "--goodput", "e2el:600000", "--floor-model-config", Cluster.ModelDirectory));

        var s = report.Summary;
        Assert.True(s.Failed == 0, table);
        Assert.Equal(16, s.Completed);
        Assert.All(report.Outcomes, o => Assert.Equal(48, o.InputTokens));
        Assert.All(report.Outcomes, o => Assert.Equal(8, o.OutputTokens));
        Assert.All(report.Outcomes, o => Assert.Equal("length", o.FinishReason));
        Assert.Equal("usage", s.OutputTokenSource);
        Assert.Equal(16 * 48, s.TotalInputTokens);
        Assert.Equal(16 * 8, s.TotalOutputTokens);
        Assert.InRange(s.MaxConcurrentRequests, 1, 4);
        Assert.Equal(16, s.GoodRequests);
        Assert.All(report.Outcomes, o => Assert.True(o.Ttft > 0 && o.Ttft <= o.Latency));
        Assert.Contains("Successful requests:", table, StringComparison.Ordinal);
        Assert.Contains("Duration floor, strict (s):", table, StringComparison.Ordinal);

        var json = JsonNode.Parse(await File.ReadAllTextAsync(resultFile, Ct))!;
        File.Delete(resultFile);
        Assert.Equal(16, json["completed"]!.GetValue<int>());
        Assert.Equal(0, json["failed"]!.GetValue<int>());
        Assert.Equal("inf", json["request_rate"]!.GetValue<string>());
        Assert.Equal(4, json["max_concurrency"]!.GetValue<int>());
        Assert.Equal(Enumerable.Repeat(48, 16), json["input_lens"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal(Enumerable.Repeat(8, 16), json["output_lens"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal("token ids (exact)", json["input_tokens_source"]!.GetValue<string>());
        foreach (string metric in new[] { "ttft", "tpot", "itl", "e2el" })
        {
            foreach (string stat in new[] { "mean", "median", "std", "p50", "p90", "p99" })
            {
                Assert.True(json[$"{stat}_{metric}_ms"]!.GetValue<double>() >= 0, $"{stat}_{metric}_ms");
            }
        }
        Assert.True(json["mean_e2el_ms"]!.GetValue<double>() >= json["mean_ttft_ms"]!.GetValue<double>());
        Assert.Equal(s.RequestThroughput, json["request_throughput"]!.GetValue<double>());
        Assert.Equal(s.Goodput, json["request_goodput"]!.GetValue<double>());
        var floor = json["floor"]!;
        Assert.True(floor["duration_s"]!.GetValue<double>() > 0);
        Assert.True(floor["decode_steps"]!.GetValue<long>() >= 7 * 16 / 4);
    }

    [Fact]
    public async Task Hop_timings_come_back_from_every_request_and_are_tabulated()
    {
        string resultFile = TempFile("hops.json");
        var (report, table) = await RunAsync(Options("--tokenizer", Cluster.ModelDirectory, "--num-prompts", "3", "--random-input-len", "64",
            "--random-output-len", "8", "--ignore-eos", "--max-concurrency", "1", "--seed", "5", "--hop-timings", "--result-file", resultFile));

        Assert.True(report.Summary.Failed == 0, table);
        var hops = report.HopTimings!;
        Assert.Equal(3, hops.Requests);
        Assert.Equal(0, hops.RequestsWithout);
        Assert.Equal(13, hops.Hops.Count);
        Assert.All(hops.Hops, h => Assert.Equal(3, h.FirstToken!.Count));
        Assert.All(hops.Hops, h => Assert.True(h.FirstToken!.Mean >= 0, h.Hop));
        Assert.Equal(8, hops.Hops.Count(h => h.PerToken is not null));
        Assert.InRange(hops.SteadyTokens, 3 * 6, 3 * 7);
        // The first-token hops tile gateway arrival → first text written, inside the client's TTFT.
        Assert.True(hops.FirstTokenTotalMicros > 0 && hops.FirstTokenTotalMicros < hops.ClientTtftMicros * 1.5, table);
        // Client and services share this machine's clock: the HTTP hop each way is measured too, and cannot be negative.
        Assert.Equal(3, hops.ClientToServer!.Count);
        Assert.True(hops.ClientToServer.P50 > -2_000 && hops.ServerToClient!.P50 > -2_000, table);
        Assert.Contains("Per-hop timing (server stamps, µs)", table, StringComparison.Ordinal);
        Assert.Contains(table.Split('\n'), l => l.StartsWith("worker_execute ", StringComparison.Ordinal));

        var json = JsonNode.Parse(await File.ReadAllTextAsync(resultFile, Ct))!;
        File.Delete(resultFile);
        Assert.Equal(13, json["hop_timings"]!["hops"]!.AsArray().Count);
    }

    [Fact]
    public async Task Text_prompts_sized_with_the_servers_tokenizer_have_the_requested_length()
    {
        var (report, table) = await RunAsync(Options("--prompt-format", "text", "--num-prompts", "8", "--random-input-len", "40",
            "--random-output-len", "4", "--ignore-eos", "--max-concurrency", "8"));

        Assert.True(report.Summary.Failed == 0, table);
        Assert.All(report.Outcomes, o => Assert.Equal(40, o.InputTokens));
        Assert.All(report.Outcomes, o => Assert.Equal(4, o.OutputTokens));
        Assert.Equal("server /tokenize", report.InputLengthSource);
    }

    [Fact]
    public async Task Sharegpt_file_output_lengths_are_the_answers_token_counts()
    {
        string path = TempFile("sharegpt.json");
        var answers = new[] { "The fox runs.", "A model predicts the next token from the tokens before it.", "Hello, world! How are you today?",
            "Questions and answers, stories and code.", "The scheduler decides which sequences run.", "I am a tiny demo model." };
        var conversations = answers.Select((a, i) => new
        {
            id = i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            conversations = new[] { new { from = "human", value = $"Tell me thing number {i}, please, in a few words." }, new { from = "gpt", value = a } },
        });
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(conversations), Ct);
        try
        {
            var (report, table) = await RunAsync(Options("--dataset-name", "sharegpt", "--dataset-path", path, "--num-prompts", "6",
                "--ignore-eos", "--endpoint", "/v1/chat/completions"));

            Assert.True(report.Summary.Failed == 0, table);
            var expected = new List<int>();
            using var http = new HttpClient { BaseAddress = Cluster.BaseAddress };
            foreach (string answer in answers)
            {
                using var response = await http.PostAsJsonAsync("tokenize", new { model = Cluster.Model, prompt = answer, add_special_tokens = false }, Ct);
                var node = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
                expected.Add(node["count"]!.GetValue<int>());
            }
            Assert.Equal(expected.Order(), report.Outcomes.Select(o => o.OutputTokens).Order());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Synthetic_sharegpt_at_a_poisson_rate_completes_every_request_and_warmups_are_not_counted()
    {
        var (report, table) = await RunAsync(Options("--dataset-name", "sharegpt-synthetic", "--tokenizer", Cluster.ModelDirectory,
            "--num-prompts", "8", "--num-warmups", "2", "--request-rate", "40", "--seed", "4", "--max-concurrency", "8"));

        Assert.True(report.Summary.Failed == 0, table);
        Assert.Equal(8, report.Summary.Completed);
        Assert.Equal(8, report.Outcomes.Count);
        Assert.All(report.Outcomes, o => Assert.InRange(o.OutputTokens, 1, 2048));
    }

    [Fact]
    public async Task A_wrong_model_name_counts_every_request_as_failed_with_the_servers_error()
    {
        var options = Options("--num-prompts", "5", "--random-input-len", "8", "--random-output-len", "2") with { Model = "no-such-model" };

        var (report, table) = await RunAsync(options);

        Assert.Equal(0, report.Summary.Completed);
        Assert.Equal(5, report.Summary.Failed);
        var (error, count) = Assert.Single(report.Summary.FirstErrors);
        Assert.Equal(5, count);
        Assert.Contains("404", error, StringComparison.Ordinal);
        Assert.Contains("no-such-model", error, StringComparison.Ordinal);
        Assert.Contains("Failed requests:", table, StringComparison.Ordinal);
        Assert.Equal(new GoodputSlo(null, null, null), options.Goodput);
    }
}
