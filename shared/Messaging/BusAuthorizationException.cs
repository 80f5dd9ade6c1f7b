namespace LlmServe.Messaging;

/// <summary>The server rejected the credentials ('Authorization Violation', 'Authentication Timeout', ...).</summary>
public sealed class BusAuthorizationException : BusConnectionException
{
    public BusAuthorizationException()
    {
    }

    public BusAuthorizationException(string message)
        : base(message)
    {
    }

    public BusAuthorizationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
