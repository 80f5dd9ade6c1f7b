using LlmServe.Contracts;

namespace LlmServe.Scheduler.Planning;

/// <summary>A request needs more KV blocks than the whole cache holds, so it could never run.</summary>
public sealed class RequestTooLargeException(string message)
    : SchedulingException(ErrorCode.TooLarge, message, retryable: false, "messages");
