namespace LlmServe.Tokenization.Models;

/// <summary>The BPE model's settings as tokenizer.json states them.</summary>
internal sealed record BpeOptions(
    string? UnknownToken,
    bool FuseUnknown,
    bool ByteFallback,
    bool IgnoreMerges,
    string? ContinuingSubwordPrefix,
    string? EndOfWordSuffix);
