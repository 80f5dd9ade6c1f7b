namespace LlmServe.CudaCheck;

/// <summary>Seeded random inputs for the kernel checks: the same seed gives the same inputs every run.</summary>
internal sealed class RandomData(int seed)
{
    public Random Rng { get; } = new(seed);

    /// <summary>n values uniform in [-scale, scale).</summary>
    public float[] Uniform(long n, float scale = 1f)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++)
        {
            a[i] = (float)((Rng.NextDouble() * 2) - 1) * scale;
        }

        return a;
    }
}
