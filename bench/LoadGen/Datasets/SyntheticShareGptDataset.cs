namespace LlmServe.LoadGen.Datasets;

/// <summary>
/// A stand-in for ShareGPT (no copy can be downloaded here): log-normal, long-tailed lengths whose means are
/// about 230 prompt and 200 output tokens, filtered as vLLM filters ShareGPT (both ≥ 4, prompt ≤ 1024,
/// prompt + output ≤ 2048). Seeded, so two runs send the same workload.
/// </summary>
public static class SyntheticShareGptDataset
{
    /// <summary>σ of ln(length): ShareGPT's prompt and output lengths span about two decades.</summary>
    public const double InputSigma = 1.0;

    public const double OutputSigma = 0.8;

    /// <summary>Means before the filter; chosen so that the filtered means land near 230 / 200.</summary>
    public const double InputMean = 240;

    public const double OutputMean = 200;

    public static async Task<List<BenchRequest>> CreateAsync(PromptFactory prompts, int count, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var random = new Random(seed);
        var list = new List<BenchRequest>(count);
        while (list.Count < count)
        {
            var (input, output) = DrawLengths(random);
            list.Add(await prompts.CreateAsync(input, output, random, cancellationToken).ConfigureAwait(false));
        }
        return list;
    }

    /// <summary>One (prompt, output) length pair that passes ShareGPT's filter.</summary>
    public static (int Input, int Output) DrawLengths(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        while (true)
        {
            int input = (int)Math.Round(LogNormal(random, InputMean, InputSigma));
            int output = (int)Math.Round(LogNormal(random, OutputMean, OutputSigma));
            if (ShareGptFilter.Keeps(input, output))
            {
                return (input, output);
            }
        }
    }

    private static double LogNormal(Random random, double mean, double sigma)
    {
        double mu = Math.Log(mean) - (sigma * sigma / 2);
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        double normal = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        return Math.Exp(mu + (sigma * normal));
    }
}
