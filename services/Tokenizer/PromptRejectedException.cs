using LlmServe.Contracts;

namespace LlmServe.Tokenizer;

/// <summary>A request the tokenizer refuses, with the typed error the client will see.</summary>
public sealed class PromptRejectedException(ErrorCode code, string message, string? param = null) : Exception(message)
{
    public ErrorCode Code { get; } = code;

    public string? Param { get; } = param;

    public Error ToError() => new() { Code = Code, Message = Message, Param = Param ?? string.Empty, Retryable = false };
}
