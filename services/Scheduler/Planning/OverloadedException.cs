using LlmServe.Contracts;

namespace LlmServe.Scheduler.Planning;

/// <summary>The waiting queue is full; the client may retry later.</summary>
public sealed class OverloadedException(string message)
    : SchedulingException(ErrorCode.Overloaded, message, retryable: true);
