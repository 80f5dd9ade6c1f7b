using System.Buffers;

namespace LlmServe.Inference.Sampling;

/// <summary>
/// The draw a device sampler makes, defined on the host so the CUDA kernel (sample_rows.cu) can be checked
/// against it token for token. Every quantity is exact or rounded the same way on both sides: weights come from a
/// fixed sequence of IEEE float operations (<see cref="Weight"/>, no library exp), masses are sums of integers
/// (weight × 2^40, so the order of additions cannot matter), thresholds compare order-preserving integer keys of the
/// logits, and the uniform number is <see cref="StepRandom"/>'s. Filters run in the host sampler's order: temperature,
/// top-k, top-p over the top-k set, min-p; the token is the first index (in vocabulary order) whose running kept mass
/// exceeds uniform × kept mass.
/// </summary>
/// <remarks>
/// A different algorithm from <see cref="SequenceSampler"/>'s draw (same distribution up to float rounding, other
/// tokens for a seed): a sequence keeps one backend for its life, and the same seed gives the same tokens on it.
/// </remarks>
public static class DeviceDraw
{
    /// <summary>Fixed-point scale of the masses: weights are in (0, 1], so 128k of them stay below 2^57.</summary>
    public const float MassScale = 1099511627776f; // 2^40

    private const float Log2E = 1.44269504f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;

    // e^r on |r| ≤ ln(2) / 2 by Horner: Taylor coefficients 1 / k!, k = 0..7 (truncation below 6e-9).
    private static readonly float[] Coefficients = [1f, 1f, 0.5f, 0.166666667f, 0.0416666667f, 0.00833333333f, 0.00138888889f, 0.000198412698f];

    /// <summary>
    /// The token drawn from <paramref name="logits"/>, or -1 when every logit is -inf or one is NaN (nothing can be
    /// drawn; the caller reports it).
    /// </summary>
    public static int Draw(ReadOnlySpan<float> logits, in DeviceDrawParams draw)
    {
        int vocab = logits.Length;
        if (vocab == 0)
        {
            return -1;
        }

        uint maxKey = 0;
        foreach (float x in logits)
        {
            maxKey = Math.Max(maxKey, Key(x));
        }

        if (maxKey > Key(float.PositiveInfinity) || maxKey == Key(float.NegativeInfinity))
        {
            return -1;
        }

        if (draw.InverseTemperature == 0)
        {
            for (int i = 0; i < vocab; i++)
            {
                if (Key(logits[i]) == maxKey)
                {
                    return i;
                }
            }
        }

        float max = FromKey(maxKey);
        uint threshold = draw.TopK > 0 && draw.TopK < vocab ? KthLargestKey(logits, draw.TopK) : 0;
        if (draw.TopP < 1f)
        {
            threshold = NucleusKey(logits, max, draw.InverseTemperature, threshold, draw.TopP);
        }

        ulong kept = 0;
        for (int i = 0; i < vocab; i++)
        {
            kept += KeptMass(logits[i], max, draw, threshold);
        }

        ulong target = Target(StepRandom.Uniform(draw.Seed, draw.Step), kept);
        ulong running = 0;
        for (int i = 0; i < vocab; i++)
        {
            running += KeptMass(logits[i], max, draw, threshold);
            if (running > target)
            {
                return i;
            }
        }

        return -1; // unreachable: target < kept
    }

    /// <summary>
    /// e^s for s ≤ 0 (0 below -87) from round-to-nearest float operations only: n = round(s / ln 2), r = s − n·ln 2 by two
    /// fused multiply-adds (Cody–Waite), a polynomial for e^r, times 2^n by the exponent bits. Relative error ~2e-7.
    /// </summary>
    public static float Weight(float s)
    {
        if (!(s > -87f))
        {
            return 0f;
        }

        float n = MathF.Floor((s * Log2E) + 0.5f);
        float r = MathF.FusedMultiplyAdd(-n, Ln2High, s);
        r = MathF.FusedMultiplyAdd(-n, Ln2Low, r);
        float p = Coefficients[^1];
        for (int k = Coefficients.Length - 2; k >= 0; k--)
        {
            p = MathF.FusedMultiplyAdd(p, r, Coefficients[k]);
        }

        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>A weight as an integer mass: weight × 2^40, truncated.</summary>
    public static ulong Mass(float weight) => (ulong)(weight * MassScale);

    /// <summary>An unsigned key with the order of the floats; every NaN (either sign) above +inf.</summary>
    public static uint Key(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u)
        {
            return uint.MaxValue;
        }

        return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
    }

    /// <summary>The uniform number's share of the kept mass, below it.</summary>
    public static ulong Target(double uniform, ulong kept) => Math.Min((ulong)(uniform * kept), kept - 1);

    private static float FromKey(uint key) => BitConverter.UInt32BitsToSingle((key & 0x80000000u) != 0 ? key & 0x7FFFFFFFu : ~key);

    // (x - max) / T as the kernel computes it: one rounded subtraction, one rounded multiplication.
    private static float RowWeight(float x, float max, float inverseTemperature) => Weight((x - max) * inverseTemperature);

    private static ulong KeptMass(float x, float max, in DeviceDrawParams draw, uint threshold)
    {
        if (Key(x) < threshold)
        {
            return 0;
        }

        float w = RowWeight(x, max, draw.InverseTemperature);
        return draw.MinP > 0f && !(w >= draw.MinP) ? 0 : Mass(w);
    }

    private static uint KthLargestKey(ReadOnlySpan<float> logits, int k)
    {
        uint[] keys = ArrayPool<uint>.Shared.Rent(logits.Length);
        try
        {
            for (int i = 0; i < logits.Length; i++)
            {
                keys[i] = Key(logits[i]);
            }

            var span = keys.AsSpan(0, logits.Length);
            span.Sort();
            return span[^k];
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(keys);
        }
    }

    // The largest key t whose set {key ≥ t} (within the top-k set) holds at least topP of the top-k set's mass.
    private static uint NucleusKey(ReadOnlySpan<float> logits, float max, float inverseTemperature, uint topKKey, float topP)
    {
        var masses = new SortedDictionary<uint, ulong>();
        ulong total = 0;
        foreach (float x in logits)
        {
            uint key = Key(x);
            if (key < topKKey)
            {
                continue;
            }

            ulong m = Mass(RowWeight(x, max, inverseTemperature));
            masses[key] = masses.GetValueOrDefault(key) + m;
            total += m;
        }

        ulong goal = (ulong)((double)topP * total);
        ulong running = 0;
        foreach (var (key, mass) in masses.Reverse())
        {
            running += mass;
            if (running >= goal)
            {
                return key;
            }
        }

        return topKKey;
    }
}
