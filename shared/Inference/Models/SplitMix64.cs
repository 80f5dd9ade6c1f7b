namespace LlmServe.Inference.Models;

/// <summary>A tiny deterministic generator (SplitMix64) with Box–Muller normals: same seed, same weights on every platform.</summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed)
    {
        _state = seed;
    }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in (0, 1].</summary>
    public double NextUnit() => ((Next() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>Fills <paramref name="values"/> with mean + std · N(0, 1).</summary>
    public void FillNormal(Span<float> values, float mean, float std)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double r = Math.Sqrt(-2 * Math.Log(NextUnit()));
            double theta = 2 * Math.PI * NextUnit();
            values[i] = (float)(mean + (std * r * Math.Cos(theta)));
            if (i + 1 < values.Length)
            {
                values[i + 1] = (float)(mean + (std * r * Math.Sin(theta)));
            }
        }
    }
}
