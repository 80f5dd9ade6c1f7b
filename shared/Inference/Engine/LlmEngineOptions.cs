using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Engine;

/// <summary>Offline engine settings (vLLM's LLM(...) arguments that apply here).</summary>
public sealed record LlmEngineOptions
{
    /// <summary>Token budget of one step: decodes first, then prefill chunks fill the rest (chunked prefill).</summary>
    public int MaxBatchTokens { get; init; } = 512;

    /// <summary>Most sequences running at once.</summary>
    public int MaxSeqs { get; init; } = 64;

    public int BlockSize { get; init; } = KvCacheSpec.DefaultBlockSize;

    /// <summary>KV blocks to allocate; null = enough for MaxSeqs sequences of MaxModelLength.</summary>
    public int? NumKvBlocks { get; init; }

    /// <summary>Context limit; null = the model's.</summary>
    public int? MaxModelLength { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSeqs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(BlockSize, 1);
        if (NumKvBlocks is int n)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(NumKvBlocks));
        }
    }
}
