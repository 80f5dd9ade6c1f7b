using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Sampling;

/// <summary>Draw loops and goodness-of-fit checks shared by the statistical sampling tests.</summary>
internal static class SamplingStatistics
{
    /// <summary>Samples <paramref name="draws"/> steps from a fresh copy of <paramref name="logits"/> each time.</summary>
    public static int[] Histogram(SamplingOptions options, float[] logits, int draws)
    {
        var sampler = new SequenceSampler(options, [], [], []);
        var counts = new int[logits.Length];
        var row = new float[logits.Length];
        for (int i = 0; i < draws; i++)
        {
            logits.CopyTo(row, 0);
            int token = sampler.Sample(row).TokenId;
            counts[token]++;
            sampler.Accept(token);
        }

        return counts;
    }

    /// <summary>Softmax in double precision.</summary>
    public static double[] Softmax(float[] logits, double temperature = 1)
    {
        double max = logits.Max();
        var p = logits.Select(x => Math.Exp((x - max) / temperature)).ToArray();
        double sum = p.Sum();
        return p.Select(x => x / sum).ToArray();
    }

    /// <summary>Log-probabilities from probabilities (what a model would emit as logits).</summary>
    public static float[] LogitsOf(params double[] probabilities) => probabilities.Select(p => (float)Math.Log(p)).ToArray();

    /// <summary>
    /// Asserts the counts fit <paramref name="expected"/> (probabilities over the same indices, zero
    /// meaning "never"): no draw where expected is 0, and Pearson's chi-square below the 0.9999 quantile.
    /// </summary>
    public static void AssertFits(int[] counts, double[] expected)
    {
        int draws = counts.Sum();
        double chiSquare = 0;
        int categories = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (expected[i] == 0)
            {
                Assert.True(counts[i] == 0, $"token {i} is outside the allowed set but was drawn {counts[i]} times");
                continue;
            }

            double e = expected[i] * draws;
            chiSquare += (counts[i] - e) * (counts[i] - e) / e;
            categories++;
        }

        double critical = ChiSquareQuantile(Math.Max(categories - 1, 1), z: 3.719);
        Assert.True(chiSquare < critical, $"chi-square {chiSquare:F1} exceeds {critical:F1} (df {categories - 1})");
    }

    // Wilson–Hilferty approximation of the chi-square quantile for the standard-normal quantile z.
    private static double ChiSquareQuantile(int df, double z)
    {
        double a = 2.0 / (9.0 * df);
        return df * Math.Pow(1 - a + (z * Math.Sqrt(a)), 3);
    }

    /// <summary>Renormalizes <paramref name="p"/> over the indices where <paramref name="keep"/> holds, zero elsewhere.</summary>
    public static double[] Restrict(double[] p, Func<int, bool> keep)
    {
        double mass = 0;
        for (int i = 0; i < p.Length; i++)
        {
            mass += keep(i) ? p[i] : 0;
        }

        return p.Select((x, i) => keep(i) ? x / mass : 0).ToArray();
    }
}
