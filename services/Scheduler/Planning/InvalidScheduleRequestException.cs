using LlmServe.Contracts;

namespace LlmServe.Scheduler.Planning;

/// <summary>A schedule request that is malformed (empty prompt, bad n, duplicate id...).</summary>
public sealed class InvalidScheduleRequestException(string message, string? param = null)
    : SchedulingException(ErrorCode.InvalidRequest, message, retryable: false, param);
