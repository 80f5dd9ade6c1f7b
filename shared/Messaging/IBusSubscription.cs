namespace LlmServe.Messaging;

/// <summary>A live subscription. Messages arrive through a bounded channel; disposing unsubscribes.</summary>
public interface IBusSubscription : IAsyncDisposable
{
    string Subject { get; }

    string? QueueGroup { get; }

    /// <summary>Messages in arrival order. Completes when the subscription ends (unsubscribed, max reached, bus closed).</summary>
    IAsyncEnumerable<BusMessage> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>Messages dropped because this subscriber fell behind (its channel was full).</summary>
    long DroppedMessages { get; }

    /// <summary>Unsubscribes now, or after <paramref name="maxMessages"/> more messages when given.</summary>
    ValueTask UnsubscribeAsync(int? maxMessages = null);
}
