namespace LlmServe.Messaging;

/// <summary>The bus was closed, drained, or gave up reconnecting; it takes no more work.</summary>
public sealed class BusClosedException : InvalidOperationException
{
    public BusClosedException()
        : base("The message bus is closed.")
    {
    }

    public BusClosedException(string message)
        : base(message)
    {
    }

    public BusClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
