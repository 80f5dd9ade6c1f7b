using System.Numerics;
using System.Numerics.Tensors;

namespace LlmServe.Inference.Sampling;

/// <summary>
/// Vectorized passes over a full-vocabulary row of unnormalized probabilities (weights in [0, 1], the most
/// likely token at exactly 1): counting and summing weights above a threshold, so truncation can shrink
/// the candidate set to a few hundred tokens before any selection, and finding where a cumulative sum
/// crosses a target without a scalar pass over the whole vocabulary.
/// </summary>
internal static class WeightScan
{
    // Rows are processed in L1-sized chunks: whole-row TensorPrimitives calls on a 600 KB row switch to
    // non-temporal stores, and every following pass then reads the row back from DRAM.
    private const int Chunk = 4096;

    /// <summary>weights = exp((logits − max)·inverseTemperature) (all ≤ 1, −inf → exactly 0); returns their sum.</summary>
    /// <remarks>
    /// Uses its own vectorized exp: TensorPrimitives.Exp(float) measured ~5 ns per element here, which made
    /// this one pass cost most of a sampling step at a 152k vocabulary.
    /// </remarks>
    public static double ComputeWeights(ReadOnlySpan<float> logits, float max, float inverseTemperature, Span<float> weights)
    {
        var scale = new Vector<float>(inverseTemperature);
        var shift = new Vector<float>(max);
        var sum = Vector<float>.Zero;
        double total = 0;
        int i = 0;
        for (; i <= logits.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var w = ExpNonPositive((new Vector<float>(logits[i..]) - shift) * scale);
            w.CopyTo(weights[i..]);
            sum += w;
            if ((i & (Chunk - 1)) == 0)
            {
                // Flush to double now and then so a 152k-term float sum keeps its precision.
                total += Vector.Sum(sum);
                sum = Vector<float>.Zero;
            }
        }

        total += Vector.Sum(sum);
        for (; i < logits.Length; i++)
        {
            float w = MathF.Exp((logits[i] - max) * inverseTemperature);
            weights[i] = w;
            total += w;
        }

        return total;
    }

    // exp(x) for x ≤ 0 (x = −inf gives 0): 2^n · p(r) with n = round(x·log2 e), r = x − n·ln 2 in two
    // parts, and a degree-6 Taylor polynomial on |r| ≤ ln2/2 (relative error ~2e-7).
    private static Vector<float> ExpNonPositive(Vector<float> x)
    {
        var isMinusInfinity = Vector.Equals(x, new Vector<float>(float.NegativeInfinity));
        x = Vector.Max(x, new Vector<float>(-87f));
        var n = Vector.Floor((x * new Vector<float>(1.44269504f)) + new Vector<float>(0.5f));
        var r = x - (n * new Vector<float>(0.693145752f)) - (n * new Vector<float>(1.42860677e-6f));
        var p = new Vector<float>(1f / 720f);
        p = (p * r) + new Vector<float>(1f / 120f);
        p = (p * r) + new Vector<float>(1f / 24f);
        p = (p * r) + new Vector<float>(1f / 6f);
        p = (p * r) + new Vector<float>(0.5f);
        p = (p * r) + Vector<float>.One;
        p = (p * r) + Vector<float>.One;
        var powerOfTwo = Vector.AsVectorSingle((Vector.ConvertToInt32(n) + new Vector<int>(127)) << 23);
        return Vector.ConditionalSelect(isMinusInfinity, Vector<float>.Zero, p * powerOfTwo);
    }

    /// <summary>How many weights are ≥ <paramref name="threshold"/>, and their sum.</summary>
    public static (int Count, double Mass) AtLeast(ReadOnlySpan<float> weights, float threshold)
    {
        var limit = new Vector<float>(threshold);
        var count = Vector<int>.Zero;
        var mass = Vector<float>.Zero;
        int i = 0;
        for (; i <= weights.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var w = new Vector<float>(weights[i..]);
            var keep = Vector.GreaterThanOrEqual(w, limit);
            count -= keep;
            mass += Vector.ConditionalSelect(keep, w, Vector<float>.Zero);
        }

        int n = Vector.Sum(count);
        double sum = Vector.Sum(mass);
        for (; i < weights.Length; i++)
        {
            if (weights[i] >= threshold)
            {
                n++;
                sum += weights[i];
            }
        }

        return (n, sum);
    }

    /// <summary>Copies (weight, token id) of every weight ≥ <paramref name="threshold"/> to the front of the outputs; returns how many.</summary>
    public static int Collect(ReadOnlySpan<float> weights, float threshold, Span<float> values, Span<int> ids)
    {
        var limit = new Vector<float>(threshold);
        int n = 0;
        int i = 0;
        for (; i <= weights.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            // Most vectors hold no candidate once the threshold is selective: skip them whole.
            if (!Vector.GreaterThanOrEqualAny(new Vector<float>(weights[i..]), limit))
            {
                continue;
            }

            for (int j = i; j < i + Vector<float>.Count; j++)
            {
                if (weights[j] >= threshold)
                {
                    values[n] = weights[j];
                    ids[n] = j;
                    n++;
                }
            }
        }

        for (; i < weights.Length; i++)
        {
            if (weights[i] >= threshold)
            {
                values[n] = weights[i];
                ids[n] = i;
                n++;
            }
        }

        return n;
    }

    /// <summary>The first index whose inclusive prefix sum exceeds <paramref name="target"/> (the last positive weight if none does).</summary>
    public static int FindCumulative(ReadOnlySpan<float> weights, double target)
    {
        double cumulative = 0;
        int start = 0;
        while (start + Chunk < weights.Length)
        {
            double block = TensorPrimitives.Sum(weights.Slice(start, Chunk));
            if (cumulative + block > target)
            {
                break;
            }

            cumulative += block;
            start += Chunk;
        }

        int last = weights.Length - 1;
        for (int i = start; i < weights.Length; i++)
        {
            if (weights[i] > 0)
            {
                cumulative += weights[i];
                last = i;
                if (cumulative > target)
                {
                    return i;
                }
            }
        }

        return last;
    }
}
