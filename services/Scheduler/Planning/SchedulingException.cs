using LlmServe.Contracts;

namespace LlmServe.Scheduler.Planning;

/// <summary>A request the scheduler refuses or cannot finish; <see cref="Code"/> is what travels to the client.</summary>
public abstract class SchedulingException : Exception
{
    protected SchedulingException(ErrorCode code, string message, bool retryable = false, string? param = null)
        : base(message)
    {
        Code = code;
        Retryable = retryable;
        Param = param;
    }

    public ErrorCode Code { get; }

    public bool Retryable { get; }

    /// <summary>The request field the error is about (OpenAI's "param"), when there is one.</summary>
    public string? Param { get; }

    public Error ToError() => new() { Code = Code, Message = Message, Retryable = Retryable, Param = Param ?? string.Empty };
}
