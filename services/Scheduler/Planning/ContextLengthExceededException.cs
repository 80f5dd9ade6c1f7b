using LlmServe.Contracts;

namespace LlmServe.Scheduler.Planning;

/// <summary>Prompt plus requested output exceed the model's context length.</summary>
public sealed class ContextLengthExceededException(string message, string param)
    : SchedulingException(ErrorCode.ContextLengthExceeded, message, retryable: false, param);
