namespace LlmServe.LoadGen.Metrics;

/// <summary>One hop's values over a run, in microseconds, and its mean's share of the client's TTFT or TPOT (percent).</summary>
public sealed record HopStats(int Count, double Mean, double P50, double P99, double Share)
{
    /// <summary>Null when there are no values.</summary>
    public static HopStats? From(IEnumerable<double> micros, double clientMeanMicros)
    {
        var sorted = micros.Order().ToList();
        if (sorted.Count == 0)
        {
            return null;
        }
        double mean = sorted.Average();
        return new HopStats(sorted.Count, mean, Percentile.OfSorted(sorted, 50), Percentile.OfSorted(sorted, 99),
            clientMeanMicros > 0 ? 100 * mean / clientMeanMicros : 0);
    }
}
