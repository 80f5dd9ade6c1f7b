using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmServe.LoadGen.Cli;
using LlmServe.LoadGen.Http;
using LlmServe.LoadGen.Metrics;
using LlmServe.LoadGen.Reporting;
using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Tests.Metrics;

/// <summary>--hop-timings: the server's breakdown read from the stream, aggregated over requests and tokens, and reported.</summary>
public sealed class HopTimingSummaryTests
{
    /// <summary>A gateway-shaped llmserve_timing object: two first-token hops, two steady hops.</summary>
    private static string Timing(double gateway, double execute, double[] queue, double[] steadyExecute) => $$"""
        {"first_token":{"gateway_us":{{gateway}},"worker_execute_us":{{execute}},"total_us":{{gateway + execute}}},
         "per_token_mean":{"scheduler_queue_us":{{queue.Average()}},"total_us":0},
         "per_token":{"scheduler_queue_us":[{{string.Join(",", queue)}}],"worker_execute_us":[{{string.Join(",", steadyExecute)}}]},
         "arrival_unix_us":1000000,"first_token_written_unix_us":{{1_000_000 + gateway + execute}},
         "tokens":{{queue.Length + 1}},"steady_tokens":{{queue.Length}},"clamped":1,"planned_ahead":0}
        """.ReplaceLineEndings("");

    /// <summary>Sent 500 µs before the server's arrival stamp; its first text read <paramref name="responseUs"/> after the server wrote it.</summary>
    private static RequestOutcome Outcome(double ttftMs, double latencyMs, int tokens, string? timing, long responseUs = 0) => new()
    {
        Success = true,
        SentUnixMicros = 999_500,
        FirstTextUnixMicros = timing is null ? 0 : 1_000_000 + HopTimingSample.Parse(JsonDocument.Parse(timing).RootElement).FirstToken.Sum(h => (long)h.Micros) + responseUs,
        Ttft = ttftMs / 1000,
        Latency = latencyMs / 1000,
        OutputTokens = tokens,
        HopTiming = timing is null ? null : HopTimingSample.Parse(JsonDocument.Parse(timing).RootElement),
    };

    [Fact]
    public async Task The_breakdown_on_the_final_chunk_is_read_into_the_outcome()
    {
        string sse = "data: {\"choices\":[{\"index\":0,\"text\":\"a\",\"finish_reason\":null}]}\n\n" +
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":3},\"llmserve_timing\":" + Timing(120, 900, [10, 30], [800, 820]) + "}\n\n" +
            "data: [DONE]\n\n";
        var outcome = new RequestOutcome();

        await StreamingRequestSender.ReadStreamAsync(new MemoryStream(Encoding.UTF8.GetBytes(sse)), Stopwatch.GetTimestamp(), outcome,
            TestContext.Current.CancellationToken);

        Assert.True(outcome.Success, outcome.Error);
        var sample = outcome.HopTiming!;
        Assert.Equal([("gateway_us", 120.0), ("worker_execute_us", 900.0)], sample.FirstToken);
        Assert.Equal(["scheduler_queue_us", "worker_execute_us"], sample.PerToken.Select(h => h.Hop));
        Assert.Equal([10.0, 30.0], sample.PerToken[0].Micros);
        Assert.Equal(3, sample.Tokens);
        Assert.Equal(2, sample.SteadyTokens);
        Assert.Equal(1, sample.Clamped);
    }

    [Fact]
    public void First_tokens_aggregate_over_requests_steady_tokens_over_every_token_with_shares_of_the_clients_means()
    {
        // TTFT 2 ms and 4 ms (mean 3000 µs); TPOT (latency − TTFT) / 2 = 1 ms and 2 ms (mean 1500 µs).
        var outcomes = new List<RequestOutcome>
        {
            Outcome(2, 4, 3, Timing(100, 1_000, [10, 20], [700, 700]), responseUs: 200),
            Outcome(4, 8, 3, Timing(300, 2_000, [30, 40], [800, 800]), responseUs: 400),
            Outcome(3, 5, 3, null),
            new() { Success = false, Error = "HTTP 500" },
        };

        var summary = HopTimingSummary.From(outcomes)!;

        Assert.Equal(2, summary.Requests);
        Assert.Equal(1, summary.RequestsWithout);
        Assert.Equal(4, summary.SteadyTokens);
        Assert.Equal(2, summary.Clamped);
        Assert.Equal(3000, summary.ClientTtftMicros, 6);
        Assert.Equal(1500, summary.ClientTpotMicros, 6);
        Assert.Equal(["gateway_us", "worker_execute_us", "scheduler_queue_us"], summary.Hops.Select(h => h.Hop));
        var gateway = summary.Hops[0];
        Assert.Equal(new HopStats(2, 200, 200, 298, 100.0 * 200 / 3000), gateway.FirstToken);
        Assert.Null(gateway.PerToken);
        var execute = summary.Hops[1];
        Assert.Equal(1_500, execute.FirstToken!.Mean);
        Assert.Equal(new HopStats(4, 750, 750, 800, 50), execute.PerToken);
        var queue = summary.Hops[2];
        Assert.Null(queue.FirstToken);
        Assert.Equal(25, queue.PerToken!.Mean);
        Assert.Equal(25, queue.PerToken.P50);
        Assert.Equal(39.7, queue.PerToken.P99, 6);
        Assert.Equal(1_700, summary.FirstTokenTotalMicros);
        Assert.Equal(new HopStats(2, 500, 500, 500, 100.0 * 500 / 3000), summary.ClientToServer);
        Assert.Equal(300, summary.ServerToClient!.Mean);
    }

    [Fact]
    public void Without_any_breakdown_there_is_no_summary()
    {
        Assert.Null(HopTimingSummary.From([Outcome(1, 2, 2, null)]));
    }

    [Fact]
    public void The_table_and_the_result_file_show_every_hop()
    {
        var outcomes = new List<RequestOutcome> { Outcome(2, 4, 3, Timing(100, 1_000, [10, 20], [700, 700])) };
        var options = LoadGenArguments.Parse(["--model", "m", "--hop-timings", "--num-prompts", "1"]);
        Assert.True(options.HopTimings);
        var report = new RunReport(options, BenchmarkSummary.From(outcomes, 1, [50, 99], options.Goodput), outcomes, null, "test",
            DateTimeOffset.UnixEpoch, HopTimingSummary.From(outcomes));

        var table = new StringWriter();
        ResultTable.Write(table, report);
        string text = table.ToString();
        Assert.Contains("Per-hop timing (server stamps, µs)", text, StringComparison.Ordinal);
        string[] lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("gateway ", StringComparison.Ordinal) && l.Contains("100.0", StringComparison.Ordinal) && l.Contains("5.0%", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("worker_execute ", StringComparison.Ordinal) && l.Contains("700.0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("scheduler_queue ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("sum of hops", StringComparison.Ordinal) && l.Contains("1100.0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("(http: client → gateway)", StringComparison.Ordinal) && l.Contains("500.0", StringComparison.Ordinal));

        using var file = new MemoryStream();
        ResultJson.Write(file, report);
        var hops = JsonNode.Parse(file.ToArray())!["hop_timings"]!;
        Assert.Equal(1, hops["requests"]!.GetValue<int>());
        Assert.Equal(500, hops["http_client_to_gateway"]!["mean_us"]!.GetValue<double>());
        var execute = hops["hops"]!.AsArray().Single(h => h!["hop"]!.GetValue<string>() == "worker_execute_us")!;
        Assert.Equal(1_000, execute["first_token"]!["mean_us"]!.GetValue<double>());
        Assert.Equal(700, execute["per_token"]!["p99_us"]!.GetValue<double>());
        Assert.Equal(70, execute["per_token"]!["share_of_tpot"]!.GetValue<double>(), 6);
        Assert.Null(hops["hops"]!.AsArray().Single(h => h!["hop"]!.GetValue<string>() == "gateway_us")!["per_token"]);
    }
}
