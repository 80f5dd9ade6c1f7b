using System.Numerics;

namespace LlmServe.Inference.Sampling;

/// <summary>
/// Vectorized passes over a full-vocabulary row of unnormalized probabilities (weights in [0, 1], the most
/// likely token at exactly 1): counting and summing weights above a threshold, so truncation can shrink
/// the candidate set to a few hundred tokens before any selection, and finding where a cumulative sum
/// crosses a target without a scalar pass over the whole vocabulary.
/// </summary>
internal static class WeightScan
{
    private const int SumBlock = 1024;

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
        int n = 0;
        for (int i = 0; i < weights.Length; i++)
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

    /// <summary>The first index whose inclusive prefix sum exceeds <paramref name="target"/> (the last index if none does).</summary>
    public static int FindCumulative(ReadOnlySpan<float> weights, double target)
    {
        double cumulative = 0;
        int start = 0;
        while (start + SumBlock < weights.Length)
        {
            double block = System.Numerics.Tensors.TensorPrimitives.Sum(weights.Slice(start, SumBlock));
            if (cumulative + block > target)
            {
                break;
            }

            cumulative += block;
            start += SumBlock;
        }

        int last = weights.Length - 1;
        for (int i = start; i < weights.Length; i++)
        {
            cumulative += weights[i];
            if (cumulative > target && weights[i] > 0)
            {
                return i;
            }

            if (weights[i] > 0)
            {
                last = i;
            }
        }

        return last;
    }
}
