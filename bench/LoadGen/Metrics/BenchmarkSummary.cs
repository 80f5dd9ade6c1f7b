using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Metrics;

/// <summary>The aggregate numbers of one run, computed from its request outcomes (failed requests count only as failures).</summary>
public sealed class BenchmarkSummary
{
    public const int KeptErrors = 5;

    public required int Completed { get; init; }

    public required int Failed { get; init; }

    /// <summary>The first errors, in order of occurrence, with how many failures had the same text.</summary>
    public required IReadOnlyList<(string Error, int Count)> FirstErrors { get; init; }

    public required double DurationSeconds { get; init; }

    public required long TotalInputTokens { get; init; }

    public required long TotalOutputTokens { get; init; }

    /// <summary>How output tokens were counted: <c>usage</c> (server usage), <c>chunks</c> (text chunks), <c>mixed</c>, or <c>none</c> (nothing completed).</summary>
    public required string OutputTokenSource { get; init; }

    public required double RequestThroughput { get; init; }

    public required double InputThroughput { get; init; }

    public required double OutputThroughput { get; init; }

    public required double TotalTokenThroughput { get; init; }

    /// <summary>Good requests per second; null without objectives.</summary>
    public required double? Goodput { get; init; }

    public required int GoodRequests { get; init; }

    public required LatencyStats Ttft { get; init; }

    public required LatencyStats Tpot { get; init; }

    public required LatencyStats Itl { get; init; }

    public required LatencyStats E2el { get; init; }

    /// <summary>Peak number of requests streaming at the same time.</summary>
    public required int MaxConcurrentRequests { get; init; }

    public static BenchmarkSummary From(IReadOnlyList<RequestOutcome> outcomes, double durationSeconds, IReadOnlyList<double> percentiles, GoodputSlo slo)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        ArgumentNullException.ThrowIfNull(slo);
        var ok = outcomes.Where(o => o.Success).ToList();
        var errors = new List<(string, int)>();
        foreach (var group in outcomes.Where(o => !o.Success).GroupBy(o => o.Error ?? "unknown error"))
        {
            if (errors.Count < KeptErrors)
            {
                errors.Add((group.Key, group.Count()));
            }
        }
        long input = ok.Sum(o => (long)o.InputTokens);
        long output = ok.Sum(o => (long)o.OutputTokens);
        double d = durationSeconds > 0 ? durationSeconds : double.Epsilon;
        int good = slo.IsEmpty ? 0 : ok.Count(slo.IsMetBy);
        int fromUsage = ok.Count(o => o.OutputFromUsage);
        return new BenchmarkSummary
        {
            Completed = ok.Count,
            Failed = outcomes.Count - ok.Count,
            FirstErrors = errors,
            DurationSeconds = durationSeconds,
            TotalInputTokens = input,
            TotalOutputTokens = output,
            OutputTokenSource = ok.Count == 0 ? "none" : fromUsage == ok.Count ? "usage" : fromUsage == 0 ? "chunks" : "mixed",
            RequestThroughput = ok.Count / d,
            InputThroughput = input / d,
            OutputThroughput = output / d,
            TotalTokenThroughput = (input + output) / d,
            Goodput = slo.IsEmpty ? null : good / d,
            GoodRequests = good,
            Ttft = LatencyStats.FromSeconds(ok.Select(o => o.Ttft), percentiles),
            Tpot = LatencyStats.FromSeconds(ok.Where(o => o.OutputTokens > 1).Select(o => o.Tpot), percentiles),
            Itl = LatencyStats.FromSeconds(ok.SelectMany(o => o.Itl), percentiles),
            E2el = LatencyStats.FromSeconds(ok.Select(o => o.Latency), percentiles),
            MaxConcurrentRequests = MaxOverlap(ok),
        };
    }

    private static int MaxOverlap(List<RequestOutcome> ok)
    {
        var edges = ok.SelectMany(o => new[] { (o.SentAt, 1), (o.SentAt + o.Latency, -1) }).OrderBy(e => e.Item1).ThenBy(e => e.Item2);
        int now = 0, max = 0;
        foreach (var (_, delta) in edges)
        {
            now += delta;
            max = Math.Max(max, now);
        }
        return max;
    }
}
