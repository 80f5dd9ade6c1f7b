namespace LlmServe.Messaging;

/// <summary>The bus could not connect (or reconnect) to any server.</summary>
public class BusConnectionException : Exception
{
    public BusConnectionException()
    {
    }

    public BusConnectionException(string message)
        : base(message)
    {
    }

    public BusConnectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
