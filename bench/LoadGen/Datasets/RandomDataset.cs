namespace LlmServe.LoadGen.Datasets;

/// <summary>
/// vLLM's <c>random</c> dataset: input and output lengths drawn uniformly from
/// [len × (1 − ratio), len × (1 + ratio)] (a single value when ratio is 0), prompts of random ordinary tokens.
/// </summary>
public static class RandomDataset
{
    public static async Task<List<BenchRequest>> CreateAsync(PromptFactory prompts, int count, int inputLength, int outputLength,
        double rangeRatio, int seed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (rangeRatio is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rangeRatio), "--random-range-ratio must be in [0, 1).");
        }
        var random = new Random(seed);
        var list = new List<BenchRequest>(count);
        for (int i = 0; i < count; i++)
        {
            int input = Draw(random, inputLength, rangeRatio);
            int output = Draw(random, outputLength, rangeRatio);
            list.Add(await prompts.CreateAsync(input, output, random, cancellationToken).ConfigureAwait(false));
        }
        return list;
    }

    private static int Draw(Random random, int length, double ratio)
    {
        int low = Math.Max(1, (int)Math.Floor(length * (1 - ratio)));
        int high = Math.Max(low, (int)Math.Ceiling(length * (1 + ratio)));
        return low == high ? low : random.Next(low, high + 1);
    }
}
