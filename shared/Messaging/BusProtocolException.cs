namespace LlmServe.Messaging;

/// <summary>The server sent bytes that are not valid NATS protocol; the connection is closed.</summary>
public sealed class BusProtocolException : Exception
{
    public BusProtocolException()
    {
    }

    public BusProtocolException(string message)
        : base(message)
    {
    }

    public BusProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
