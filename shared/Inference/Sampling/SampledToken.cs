namespace LlmServe.Inference.Sampling;

/// <summary>
/// The outcome of one sampling step. Log-probabilities come from the raw model logits (log-softmax before
/// bias, penalties, temperature and truncation), which is vLLM's default ("raw_logprobs").
/// </summary>
/// <remarks>
/// Nothing is allocated when logprobs were not requested: <see cref="Logprob"/> is then NaN and
/// <see cref="TopLogprobs"/> empty. When they were, <see cref="TopLogprobs"/> is a fresh array (at most
/// <see cref="SamplingOptions.MaxTopLogprobs"/> entries) the caller may keep.
/// </remarks>
public readonly struct SampledToken
{
    private readonly TokenLogprob[]? _top;

    public SampledToken(int tokenId, float logprob, TokenLogprob[]? topLogprobs = null)
    {
        TokenId = tokenId;
        Logprob = logprob;
        _top = topLogprobs;
    }

    /// <summary>The chosen token.</summary>
    public int TokenId { get; }

    /// <summary>Log-probability of <see cref="TokenId"/> under the raw model distribution; NaN when not requested.</summary>
    public float Logprob { get; }

    /// <summary>True when <see cref="Logprob"/> was computed.</summary>
    public bool HasLogprob => !float.IsNaN(Logprob);

    /// <summary>The most likely tokens of the raw distribution, most likely first; empty when not requested.</summary>
    public ReadOnlySpan<TokenLogprob> TopLogprobs => _top;

    public override string ToString() => HasLogprob ? $"{TokenId} ({Logprob:F4})" : TokenId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
