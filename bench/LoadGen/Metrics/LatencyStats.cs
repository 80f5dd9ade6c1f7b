namespace LlmServe.LoadGen.Metrics;

/// <summary>Summary of one latency metric in milliseconds: mean, median, standard deviation and chosen percentiles.</summary>
public sealed record LatencyStats(double Mean, double Median, double Std, IReadOnlyList<(double P, double Value)> Percentiles)
{
    /// <summary>From values in seconds; reported in milliseconds.</summary>
    public static LatencyStats FromSeconds(IEnumerable<double> seconds, IReadOnlyList<double> percentiles)
    {
        ArgumentNullException.ThrowIfNull(percentiles);
        var sorted = seconds.Select(s => s * 1000).Order().ToList();
        if (sorted.Count == 0)
        {
            return new LatencyStats(0, 0, 0, [.. percentiles.Select(p => (p, 0.0))]);
        }
        double mean = sorted.Average();
        double variance = sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Count;
        return new LatencyStats(mean, Percentile.OfSorted(sorted, 50), Math.Sqrt(variance),
            [.. percentiles.Select(p => (p, Percentile.OfSorted(sorted, p)))]);
    }
}
