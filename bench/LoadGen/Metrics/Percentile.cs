namespace LlmServe.LoadGen.Metrics;

/// <summary>Percentiles with linear interpolation between closest ranks (numpy's default, which vLLM's bench uses).</summary>
public static class Percentile
{
    /// <summary>The <paramref name="p"/>-th percentile (0–100) of <paramref name="sorted"/>, which must be in ascending order.</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return 0;
        }
        if (p is < 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "A percentile is between 0 and 100.");
        }
        double rank = p / 100 * (sorted.Count - 1);
        int low = (int)Math.Floor(rank);
        int high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + ((rank - low) * (sorted[high] - sorted[low]));
    }
}
