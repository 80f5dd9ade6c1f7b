using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Requests;

/// <summary>
/// A validated chat or completions request: one <see cref="Inputs"/> entry per prompt (chat has exactly one),
/// each becoming one bus request with <see cref="N"/> choices.
/// </summary>
public sealed class GenerationRequest
{
    public required ApiKind Kind { get; init; }

    /// <summary>The model name as the client sent it (echoed in responses).</summary>
    public required string Model { get; init; }

    /// <summary>The served model it resolves to (used on the bus).</summary>
    public required string ServedModel { get; init; }

    /// <summary>Per-prompt inputs; the template that <see cref="TokenizeRequest"/>s are cloned from carries the rest.</summary>
    public required IReadOnlyList<TokenizeRequest> Inputs { get; init; }

    public required int N { get; init; }

    public required bool Stream { get; init; }

    public required bool IncludeUsage { get; init; }

    /// <summary>Logprobs were asked for (chat <c>logprobs: true</c>, completions <c>logprobs: k</c>).</summary>
    public required bool Logprobs { get; init; }

    public required int TopLogprobs { get; init; }

    /// <summary>Total choices in the response (prompts × n).</summary>
    public int ChoiceCount => Inputs.Count * N;
}
