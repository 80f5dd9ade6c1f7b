namespace LlmServe.Messaging;

/// <summary>
/// What the services need from a message bus: publish, subscribe (optionally in a queue group),
/// and request/reply. Implemented by the NATS client and by the in-process bus.
/// </summary>
public interface IMessageBus : IAsyncDisposable
{
    /// <summary>Current connection state; the in-process bus is always connected.</summary>
    BusConnectionState State { get; }

    /// <summary>Raised when <see cref="State"/> changes (connected, disconnected, reconnecting, closed).</summary>
    event EventHandler<BusConnectionState>? StateChanged;

    /// <summary>Largest payload the bus accepts; a bigger publish throws <see cref="PayloadTooLargeException"/>.</summary>
    int MaxPayload { get; }

    /// <summary>
    /// Publishes one message. The payload is copied before this returns, so the caller may reuse its buffer.
    /// Completes once the message is buffered for sending; waits (back-pressure) when the outbound buffer is full.
    /// </summary>
    ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, string? replyTo = null,
        MessageHeaders? headers = null, CancellationToken cancellationToken = default);

    /// <summary>Subscribes to a subject (wildcards <c>*</c> and <c>&gt;</c> allowed), optionally in a queue group.</summary>
    ValueTask<IBusSubscription> SubscribeAsync(string subject, string? queueGroup = null,
        SubscriptionOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a request and waits for the first reply. Throws <see cref="NoRespondersException"/> when nobody
    /// subscribes to <paramref name="subject"/>, and <see cref="TimeoutException"/> after <paramref name="timeout"/>.
    /// </summary>
    ValueTask<BusMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout,
        MessageHeaders? headers = null, CancellationToken cancellationToken = default);

    /// <summary>Waits until everything published so far has been written to the server (a PING/PONG round trip).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops taking new messages, delivers what subscriptions already hold, flushes, then closes.</summary>
    ValueTask DrainAsync(CancellationToken cancellationToken = default);
}
