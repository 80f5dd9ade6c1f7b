using LlmServe.Contracts;

namespace LlmServe.Scheduler.Planning;

/// <summary>Decides, after a token is appended, whether its sequence is done and why.</summary>
/// <remarks>Stop strings are not here: the detokenizer sees text and cancels the choice with reason STOP_STRING.</remarks>
public sealed class StopConditions(IReadOnlyList<int> eosTokenIds, int maxModelLen)
{
    public int MaxModelLen => maxModelLen;

    /// <param name="stopTokenId">The stop token that ended the sequence (stop_token_ids only; EOS reports none, like vLLM).</param>
    public FinishReason Check(Sequence sequence, int token, out int stopTokenId)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        stopTokenId = 0;
        SamplingParams sampling = sequence.Request.Sampling;
        int output = sequence.OutputLength;
        if (output >= sampling.MinTokens)
        {
            if (!sampling.IgnoreEos && Contains(eosTokenIds, token))
            {
                return FinishReason.Stop;
            }
            if (sampling.StopTokenIds.Contains(token))
            {
                stopTokenId = token;
                return FinishReason.Stop;
            }
        }
        if (sampling.MaxTokens > 0 && output >= sampling.MaxTokens)
        {
            return FinishReason.Length;
        }
        return sequence.Length >= maxModelLen ? FinishReason.Length : FinishReason.None;
    }

    /// <summary>
    /// Whether the sequence ends by length once it holds <paramref name="length"/> tokens, whatever they are: a
    /// step planned ahead of the last token's result must not ask for a token past that point.
    /// </summary>
    public bool EndsByLengthAt(Sequence sequence, int length)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        int maxTokens = sequence.Request.Sampling.MaxTokens;
        return (maxTokens > 0 && length - sequence.PromptLength >= maxTokens) || length >= maxModelLen;
    }

    private static bool Contains(IReadOnlyList<int> ids, int token)
    {
        for (int i = 0; i < ids.Count; i++)
        {
            if (ids[i] == token)
            {
                return true;
            }
        }
        return false;
    }
}
