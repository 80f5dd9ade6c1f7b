namespace LlmServe.Inference.Sampling;

/// <summary>
/// The tokens a sequence has seen, kept sparse (a set for the prompt, counts for the output) because only
/// a few thousand of the ~150k vocabulary ever occur; applies repetition, frequency and presence penalties.
/// </summary>
internal sealed class TokenHistory
{
    private readonly HashSet<int> _prompt;
    private readonly Dictionary<int, int> _outputCounts = [];

    public TokenHistory(ReadOnlySpan<int> promptTokenIds)
    {
        _prompt = new HashSet<int>(promptTokenIds.Length);
        foreach (int id in promptTokenIds)
        {
            _prompt.Add(id);
        }
    }

    public void AddOutput(int tokenId)
    {
        _outputCounts[tokenId] = _outputCounts.GetValueOrDefault(tokenId) + 1;
    }

    public int OutputCount(int tokenId) => _outputCounts.GetValueOrDefault(tokenId);

    /// <summary>
    /// Repetition penalty over prompt ∪ output (divide positive logits, multiply negative ones, as in
    /// CTRL/vLLM), then frequency and presence penalties over the output only.
    /// </summary>
    public void Apply(Span<float> logits, float repetition, float frequency, float presence)
    {
        if (repetition != 1f)
        {
            foreach (int id in _prompt)
            {
                PenalizeRepetition(logits, id, repetition);
            }

            foreach (var (id, _) in _outputCounts)
            {
                if (!_prompt.Contains(id))
                {
                    PenalizeRepetition(logits, id, repetition);
                }
            }
        }

        if (frequency != 0f || presence != 0f)
        {
            foreach (var (id, count) in _outputCounts)
            {
                if ((uint)id < (uint)logits.Length)
                {
                    logits[id] -= (frequency * count) + presence;
                }
            }
        }
    }

    private static void PenalizeRepetition(Span<float> logits, int id, float penalty)
    {
        if ((uint)id < (uint)logits.Length)
        {
            float x = logits[id];
            logits[id] = x > 0 ? x / penalty : x * penalty;
        }
    }
}
