using LlmServe.Contracts;
using LlmServe.Inference.Sampling;

namespace LlmServe.Worker;

/// <summary>Maps the bus's sampling parameters onto the engine's options.</summary>
internal static class SamplingMapper
{
    public static SamplingOptions ToOptions(SamplingParams? p)
    {
        if (p is null)
        {
            return SamplingOptions.Greedy;
        }
        return new SamplingOptions
        {
            Temperature = p.Temperature,
            TopP = p.TopP <= 0 ? 1 : p.TopP,
            TopK = p.TopK,
            MinP = p.MinP,
            PresencePenalty = p.PresencePenalty,
            FrequencyPenalty = p.FrequencyPenalty,
            RepetitionPenalty = p.RepetitionPenalty <= 0 ? 1 : p.RepetitionPenalty,
            Seed = p.HasSeed ? p.Seed : null,
            MaxTokens = Math.Max(1, p.MaxTokens),
            MinTokens = p.MinTokens,
            IgnoreEos = p.IgnoreEos,
            StopTokenIds = p.StopTokenIds.ToArray(),
            Logprobs = p.Logprobs,
            TopLogprobs = p.TopLogprobs,
            LogitBias = p.LogitBias.Count == 0 ? null : new Dictionary<int, float>(p.LogitBias),
        };
    }
}
