namespace LlmServe.Messaging;

/// <summary>Settings for <see cref="InProcessBus"/>.</summary>
public sealed record InProcessBusOptions
{
    /// <summary>Largest headers + payload accepted, as a NATS server's max_payload (default 1 MiB).</summary>
    public int MaxPayload { get; init; } = 1024 * 1024;

    /// <summary>How long <see cref="IMessageBus.DrainAsync"/> waits for subscribers to consume what they hold.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (MaxPayload < 1)
        {
            throw new ArgumentException("InProcessBusOptions.MaxPayload must be positive.", nameof(MaxPayload));
        }

        if (DrainTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("InProcessBusOptions.DrainTimeout must be positive.", nameof(DrainTimeout));
        }
    }
}
