namespace LlmServe.Messaging;

/// <summary>A request was sent to a subject nobody subscribes to (NATS 503 status).</summary>
public sealed class NoRespondersException(string subject)
    : Exception($"No responders are subscribed to '{subject}'.")
{
    public string Subject { get; } = subject;
}
