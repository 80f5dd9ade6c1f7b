namespace LlmServe.Gateway.Metrics;

/// <summary>One labelled series of an instrument: a running sum (counters), a last value (gauges) or histogram buckets.</summary>
internal sealed class MetricSeries(string labels, double[]? bucketBounds)
{
    private readonly Lock _gate = new();

    public string Labels { get; } = labels;

    public double[]? BucketBounds { get; } = bucketBounds;

    public long[]? BucketCounts { get; } = bucketBounds is null ? null : new long[bucketBounds.Length + 1];

    public double Value { get; private set; }

    public long Count { get; private set; }

    public void Add(double value)
    {
        lock (_gate)
        {
            Value += value;
        }
    }

    public void Set(double value)
    {
        lock (_gate)
        {
            Value = value;
        }
    }

    public void Observe(double value)
    {
        lock (_gate)
        {
            int bucket = Array.BinarySearch(BucketBounds!, value);
            // Prometheus buckets are upper-inclusive: a value equal to a bound belongs to that bound's bucket.
            BucketCounts![bucket >= 0 ? bucket : ~bucket]++;
            Value += value;
            Count++;
        }
    }

    /// <summary>A consistent copy for writing: cumulative bucket counts, sum, count.</summary>
    public (long[] Cumulative, double Sum, long Count) SnapshotHistogram()
    {
        lock (_gate)
        {
            var cumulative = new long[BucketCounts!.Length];
            long running = 0;
            for (int i = 0; i < cumulative.Length; i++)
            {
                running += BucketCounts[i];
                cumulative[i] = running;
            }
            return (cumulative, Value, Count);
        }
    }
}
