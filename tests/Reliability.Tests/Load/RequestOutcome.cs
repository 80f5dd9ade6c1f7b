namespace LlmServe.Reliability.Tests.Load;

/// <summary>How one request of a load ended. <paramref name="Error"/> is the OpenAI error code, HTTP status or exception name.</summary>
public sealed record RequestOutcome(DateTime Started, DateTime Ended, OutcomeKind Kind, int Status, string? Error, bool Retryable)
{
    public TimeSpan Duration => Ended - Started;
}
