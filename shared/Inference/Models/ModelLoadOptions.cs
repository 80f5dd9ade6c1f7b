namespace LlmServe.Inference.Models;

/// <summary>What part of a model to load and the step shapes to preallocate for.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>First decoder layer this stage holds (pipeline parallelism).</summary>
    public int FirstLayer { get; init; }

    /// <summary>Layers this stage holds; null = through the last layer.</summary>
    public int? LayerCount { get; init; }

    /// <summary>Most query tokens in one step (the chunked-prefill token budget); activations are sized for it.</summary>
    public int MaxBatchTokens { get; init; } = 512;

    /// <summary>Most sequences (logit rows) in one step.</summary>
    public int MaxSeqs { get; init; } = 64;

    /// <summary>Longest context to support; null = the model's (max_position_embeddings capped by a sliding window).</summary>
    public int? MaxModelLength { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(FirstLayer);
        if (LayerCount is int c)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(c, 1, nameof(LayerCount));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSeqs, 1);
        if (MaxModelLength is int m)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(m, 1, nameof(MaxModelLength));
        }
    }
}
