namespace LlmServe.Inference.Sampling;

/// <summary>
/// Per-request sampling parameters, with the same names, defaults and valid ranges as vLLM's
/// <c>SamplingParams</c>. Immutable; call <see cref="Validate"/> once when the request enters the system.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Largest allowed <see cref="TopLogprobs"/> (the OpenAI API's limit).</summary>
    public const int MaxTopLogprobs = 20;

    /// <summary>Temperatures below this are treated as greedy (vLLM's <c>_SAMPLING_EPS</c>).</summary>
    public const float GreedyEpsilon = 1e-5f;

    /// <summary>Options for deterministic argmax decoding.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>Softmax temperature; 0 means greedy (argmax).</summary>
    public float Temperature { get; init; } = 1;

    /// <summary>Nucleus sampling: keep the smallest set of most likely tokens whose mass reaches this; 1 = off.</summary>
    public float TopP { get; init; } = 1;

    /// <summary>Keep only the K most likely tokens; 0 or -1 = off.</summary>
    public int TopK { get; init; }

    /// <summary>Drop tokens whose probability is below <c>MinP × p(most likely token)</c>; 0 = off.</summary>
    public float MinP { get; init; }

    /// <summary>Subtracted once from the logit of every token already generated (output tokens only).</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted from a token's logit once per time it was generated (output tokens only).</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>
    /// Applied to tokens seen in the prompt or the output: positive logits are divided by it, negative ones
    /// multiplied. 1 = off.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1;

    /// <summary>Seed of the request's own random stream; null draws a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 16;

    /// <summary>EOS and stop token ids are masked until this many tokens were generated.</summary>
    public int MinTokens { get; init; }

    /// <summary>Keep generating after EOS (EOS is then neither a stop token nor masked by <see cref="MinTokens"/>).</summary>
    public bool IgnoreEos { get; init; }

    /// <summary>Token ids that end the sequence like EOS does.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Return the sampled token's log-probability.</summary>
    public bool Logprobs { get; init; }

    /// <summary>How many most likely alternatives to return with their log-probabilities (needs <see cref="Logprobs"/>).</summary>
    public int TopLogprobs { get; init; }

    /// <summary>Token id → value added to its logit before anything else.</summary>
    public IReadOnlyDictionary<int, float>? LogitBias { get; init; }

    /// <summary>True when sampling reduces to argmax.</summary>
    public bool IsGreedy => Temperature < GreedyEpsilon;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field out of range.</summary>
    public void Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
        {
            throw Bad(nameof(Temperature), $"temperature must be a finite number >= 0, got {Temperature}.");
        }

        if (!(TopP > 0 && TopP <= 1))
        {
            throw Bad(nameof(TopP), $"top_p must be in (0, 1], got {TopP}.");
        }

        if (TopK < -1)
        {
            throw Bad(nameof(TopK), $"top_k must be -1 or 0 (disable) or at least 1, got {TopK}.");
        }

        if (!(MinP >= 0 && MinP <= 1))
        {
            throw Bad(nameof(MinP), $"min_p must be in [0, 1], got {MinP}.");
        }

        if (!(PresencePenalty >= -2 && PresencePenalty <= 2))
        {
            throw Bad(nameof(PresencePenalty), $"presence_penalty must be in [-2, 2], got {PresencePenalty}.");
        }

        if (!(FrequencyPenalty >= -2 && FrequencyPenalty <= 2))
        {
            throw Bad(nameof(FrequencyPenalty), $"frequency_penalty must be in [-2, 2], got {FrequencyPenalty}.");
        }

        if (!(RepetitionPenalty > 0) || float.IsInfinity(RepetitionPenalty))
        {
            throw Bad(nameof(RepetitionPenalty), $"repetition_penalty must be a finite number > 0, got {RepetitionPenalty}.");
        }

        if (MaxTokens < 1)
        {
            throw Bad(nameof(MaxTokens), $"max_tokens must be at least 1, got {MaxTokens}.");
        }

        if (MinTokens < 0 || MinTokens > MaxTokens)
        {
            throw Bad(nameof(MinTokens), $"min_tokens must be in [0, max_tokens={MaxTokens}], got {MinTokens}.");
        }

        if (TopLogprobs < 0 || TopLogprobs > MaxTopLogprobs)
        {
            throw Bad(nameof(TopLogprobs), $"top_logprobs must be in [0, {MaxTopLogprobs}], got {TopLogprobs}.");
        }

        if (TopLogprobs > 0 && !Logprobs)
        {
            throw Bad(nameof(TopLogprobs), "top_logprobs needs logprobs to be enabled.");
        }

        ArgumentNullException.ThrowIfNull(StopTokenIds, nameof(StopTokenIds));
        foreach (int id in StopTokenIds)
        {
            if (id < 0)
            {
                throw Bad(nameof(StopTokenIds), $"stop_token_ids must be non-negative token ids, got {id}.");
            }
        }

        if (LogitBias is not null)
        {
            foreach (var (id, bias) in LogitBias)
            {
                if (id < 0)
                {
                    throw Bad(nameof(LogitBias), $"logit_bias keys must be non-negative token ids, got {id}.");
                }

                if (float.IsNaN(bias) || float.IsPositiveInfinity(bias))
                {
                    throw Bad(nameof(LogitBias), $"logit_bias for token {id} must be a number (or -infinity), got {bias}.");
                }
            }
        }
    }

    private static ArgumentException Bad(string field, string message) => new(message, field);
}
