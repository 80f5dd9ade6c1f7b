using LlmServe.LoadGen.Metrics;
using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Tests.Metrics;

public sealed class GoodputTests
{
    private static RequestOutcome Outcome(double ttft, double latency, int output, bool success = true) =>
        new() { Success = success, Ttft = ttft, Latency = latency, OutputTokens = output, InputTokens = 10, OutputFromUsage = true };

    [Fact]
    public void Objectives_parse_in_any_order_and_subset()
    {
        Assert.Equal(new GoodputSlo(200, 50, null), GoodputSlo.Parse(["tpot:50", "ttft:200"]));
        Assert.Equal(new GoodputSlo(null, null, 1500.5), GoodputSlo.Parse(["e2el:1500.5"]));
        Assert.Throws<FormatException>(() => GoodputSlo.Parse(["itl:5"]));
        Assert.Throws<FormatException>(() => GoodputSlo.Parse(["ttft"]));
        Assert.Throws<FormatException>(() => GoodputSlo.Parse(["ttft:-1"]));
    }

    [Fact]
    public void A_request_is_good_only_when_it_succeeded_and_meets_every_objective()
    {
        var slo = new GoodputSlo(TtftMs: 100, TpotMs: 10, E2elMs: null);
        // TPOT = (latency - ttft) / (output - 1).
        Assert.True(slo.IsMetBy(Outcome(0.1, 0.1 + (9 * 0.010), 10)));
        Assert.False(slo.IsMetBy(Outcome(0.101, 0.2, 10)));
        Assert.False(slo.IsMetBy(Outcome(0.05, 0.05 + (9 * 0.011), 10)));
        Assert.False(slo.IsMetBy(Outcome(0.01, 0.02, 2, success: false)));
    }

    [Fact]
    public void Goodput_counts_good_requests_per_second_of_the_run()
    {
        var outcomes = new List<RequestOutcome>
        {
            Outcome(0.05, 0.5, 10),
            Outcome(0.20, 0.5, 10),
            Outcome(0.05, 0.5, 10),
            new() { Success = false, Error = "HTTP 500: boom" },
        };

        var summary = BenchmarkSummary.From(outcomes, durationSeconds: 2, [50], new GoodputSlo(100, null, null));

        Assert.Equal(2, summary.GoodRequests);
        Assert.Equal(1.0, summary.Goodput);
        Assert.Equal(3, summary.Completed);
        Assert.Equal(1, summary.Failed);
        Assert.Equal([("HTTP 500: boom", 1)], summary.FirstErrors);
        Assert.Equal(1.5, summary.RequestThroughput);
        Assert.Equal(15, summary.OutputThroughput);
        Assert.Equal(30, summary.TotalInputTokens);
    }

    [Fact]
    public void Without_objectives_there_is_no_goodput()
    {
        var summary = BenchmarkSummary.From([Outcome(0.05, 0.5, 10)], 1, [99], new GoodputSlo(null, null, null));
        Assert.Null(summary.Goodput);
    }

    [Fact]
    public void Failures_are_grouped_by_error_text_keeping_the_first_few()
    {
        var outcomes = Enumerable.Range(0, 20).Select(i => new RequestOutcome { Error = $"error {i % 7}" }).ToList();

        var summary = BenchmarkSummary.From(outcomes, 1, [50], new GoodputSlo(null, null, null));

        Assert.Equal(20, summary.Failed);
        Assert.Equal(BenchmarkSummary.KeptErrors, summary.FirstErrors.Count);
        Assert.Equal(("error 0", 3), summary.FirstErrors[0]);
        Assert.Equal("none", summary.OutputTokenSource);
    }
}
