using System.Numerics.Tensors;

namespace LlmServe.Inference.Sampling;

/// <summary>Log-softmax of a raw logits row, reduced to the sampled token and the top alternatives.</summary>
internal static class LogprobCalculator
{
    /// <summary>Computes the result; <paramref name="raw"/> is overwritten (it is scratch).</summary>
    public static SampledToken Compute(Span<float> raw, int token, int topCount)
    {
        float tokenLogit = raw[token];
        TokenLogprob[]? top = topCount > 0 ? FindTop(raw, topCount) : null;

        float logSumExp = LogSumExp(raw, raw);
        if (top is not null)
        {
            for (int i = 0; i < top.Length; i++)
            {
                top[i] = top[i] with { Logprob = top[i].Logprob - logSumExp };
            }
        }

        return new SampledToken(token, tokenLogit - logSumExp, top);
    }

    /// <summary>log Σ exp(raw); <paramref name="scratch"/> (row-sized, may be <paramref name="raw"/>) is overwritten.</summary>
    public static float LogSumExp(ReadOnlySpan<float> raw, Span<float> scratch)
    {
        float max = TensorPrimitives.Max(raw);
        double sum = WeightScan.ComputeWeights(raw, max, 1f, scratch);
        return max + (float)Math.Log(sum);
    }

    // One pass keeping the best `count` (value desc, id asc) in a small sorted array; stores raw logits.
    private static TokenLogprob[] FindTop(ReadOnlySpan<float> raw, int count)
    {
        count = Math.Min(count, raw.Length);
        Span<float> bestValues = stackalloc float[count];
        Span<int> bestIds = stackalloc int[count];
        bestValues.Fill(float.NegativeInfinity);
        bestIds.Fill(-1);
        for (int i = 0; i < raw.Length; i++)
        {
            float v = raw[i];
            if (v > bestValues[count - 1] || bestIds[count - 1] < 0)
            {
                int j = count - 1;
                while (j > 0 && (bestValues[j - 1] < v || bestIds[j - 1] < 0))
                {
                    bestValues[j] = bestValues[j - 1];
                    bestIds[j] = bestIds[j - 1];
                    j--;
                }

                bestValues[j] = v;
                bestIds[j] = i;
            }
        }

        var result = new TokenLogprob[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = new TokenLogprob(bestIds[i], bestValues[i]);
        }

        return result;
    }
}
