namespace LlmServe.Worker;

/// <summary>Which contiguous layers a pipeline stage holds.</summary>
public readonly record struct LayerPartition(int FirstLayer, int LayerCount)
{
    /// <summary>
    /// Splits <paramref name="numLayers"/> among <paramref name="stageCount"/> stages: by the explicit split when
    /// given, else evenly with the earlier stages taking the remainder.
    /// </summary>
    public static LayerPartition For(int numLayers, int stageIndex, int stageCount, string? explicitSplit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stageCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(stageIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(stageIndex, stageCount);
        if (!string.IsNullOrWhiteSpace(explicitSplit))
        {
            int[] counts = explicitSplit.Split(',', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
            if (counts.Length != stageCount || counts.Sum() != numLayers)
            {
                throw new ArgumentException($"Layer split '{explicitSplit}' must give {stageCount} stages summing to the model's {numLayers} layers.");
            }
            return new LayerPartition(counts.Take(stageIndex).Sum(), counts[stageIndex]);
        }
        if (stageCount > numLayers)
        {
            throw new ArgumentException($"{stageCount} stages cannot split a model of {numLayers} layers.");
        }
        int baseCount = numLayers / stageCount;
        int remainder = numLayers % stageCount;
        int first = (stageIndex * baseCount) + Math.Min(stageIndex, remainder);
        return new LayerPartition(first, baseCount + (stageIndex < remainder ? 1 : 0));
    }
}
