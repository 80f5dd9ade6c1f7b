namespace LlmServe.Messaging;

/// <summary>
/// A publish arrived while the bus is disconnected and the reconnect buffer
/// (<see cref="NatsBusOptions.ReconnectBufferSize"/>) is full. Nothing of this message was buffered.
/// </summary>
public sealed class ReconnectBufferFullException : Exception
{
    public ReconnectBufferFullException()
    {
    }

    public ReconnectBufferFullException(string message)
        : base(message)
    {
    }

    public ReconnectBufferFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ReconnectBufferFullException(long bufferedBytes, long limit)
        : base($"The bus is disconnected and its reconnect buffer holds {bufferedBytes} of {limit} bytes; the publish was refused.")
    {
        BufferedBytes = bufferedBytes;
        Limit = limit;
    }

    public long BufferedBytes { get; }

    public long Limit { get; }
}
