namespace LlmServe.Contracts;

/// <summary>Token counts of a step result across its two encodings.</summary>
public sealed partial class StepResult
{
    /// <summary>Sampled tokens in this result: packed (no logprobs) plus <see cref="Tokens"/>.</summary>
    public int TokenCount => SampledSequenceIds.Count + Tokens.Count;

    /// <summary>Null when the packed arrays line up (one token id per sequence id), else what is wrong.</summary>
    public string? DescribeTokenMismatch() =>
        SampledSequenceIds.Count == SampledTokenIds.Count ? null
            : $"{SampledSequenceIds.Count} sampled sequence ids but {SampledTokenIds.Count} token ids";
}
