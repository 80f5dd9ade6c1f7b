using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Engine;

/// <summary>One prompt's output from <see cref="LlmEngine.Generate"/>.</summary>
public sealed record GenerationResult
{
    public required IReadOnlyList<int> PromptTokenIds { get; init; }

    public required IReadOnlyList<int> TokenIds { get; init; }

    /// <summary>Log-probability of each generated token under the raw logits; empty unless logprobs were requested.</summary>
    public required IReadOnlyList<float> Logprobs { get; init; }

    /// <summary>Top alternatives per generated token when TopLogprobs &gt; 0, else empty.</summary>
    public required IReadOnlyList<IReadOnlyList<TokenLogprob>> TopLogprobs { get; init; }

    public required FinishReason FinishReason { get; init; }
}
