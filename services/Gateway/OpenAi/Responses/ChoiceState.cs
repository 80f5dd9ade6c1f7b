using System.Text;
using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>What the gateway remembers about one choice while its chunks arrive.</summary>
internal sealed class ChoiceState
{
    /// <summary>Whole text so far (non-streaming responses only).</summary>
    public StringBuilder Text { get; } = new();

    /// <summary>Logprob entries so far (non-streaming responses only): decoded token and its logprobs.</summary>
    public List<(string Token, TokenLogprob Logprob)> Logprobs { get; } = [];

    public FinishReason FinishReason { get; set; }

    public string? Stop { get; set; }

    /// <summary>Streaming chat: the first chunk (with the role) has been sent.</summary>
    public bool Started { get; set; }

    /// <summary>Completions logprobs: character offset of the next token in the choice's text.</summary>
    public int TextOffset { get; set; }
}
