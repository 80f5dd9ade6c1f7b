using System.Numerics;
using System.Text;
using System.Threading.Channels;
using LlmServe.Messaging.InProcess;
using Microsoft.Extensions.Logging;

namespace LlmServe.Messaging.Subscriptions;

/// <summary>
/// A subscription of either bus. Delivery never blocks the caller (the NATS reader loop or an in-process
/// publisher): a full channel drops the message and counts it, so one slow consumer cannot stall others.
/// </summary>
internal sealed class BusSubscription : IBusSubscription, IMessageTarget
{
    private readonly Channel<BusMessage> channel;
    private readonly ISubscriptionOwner owner;
    private readonly ILogger logger;
    private readonly int capacity;
    private long delivered;
    private long maxMessages = long.MaxValue;
    private long dropped;
    private int completed;
    private byte[] lastSubjectBytes = [];
    private string? lastSubject;

    public BusSubscription(long sid, string subject, string? queueGroup, SubscriptionOptions options,
        ISubscriptionOwner owner, ILogger logger)
    {
        if (options.Capacity < 1)
        {
            throw new ArgumentException("SubscriptionOptions.Capacity must be at least 1.", nameof(options));
        }

        Sid = sid;
        Subject = subject;
        QueueGroup = queueGroup;
        capacity = options.Capacity;
        this.owner = owner;
        this.logger = logger;
        channel = Channel.CreateBounded<BusMessage>(new BoundedChannelOptions(options.Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    public long Sid { get; }

    public string Subject { get; }

    public string? QueueGroup { get; }

    public long DroppedMessages => Volatile.Read(ref dropped);

    /// <summary>Messages offered to this subscription so far (delivered or dropped).</summary>
    public long DeliveredMessages => Volatile.Read(ref delivered);

    /// <summary>Total messages after which the subscription ends; <see cref="long.MaxValue"/> when unlimited.</summary>
    public long MaxMessages => Volatile.Read(ref maxMessages);

    public bool IsCompleted => Volatile.Read(ref completed) != 0;

    /// <summary>Completes once the subscription ended and its consumer read everything it held.</summary>
    public Task Drained => channel.Reader.Completion;

    /// <summary>Messages counted when the current NATS connection started; the server counts UNSUB max from there.</summary>
    public long DeliveredAtSessionStart { get; set; }

    public IAsyncEnumerable<BusMessage> ReadAllAsync(CancellationToken cancellationToken = default) =>
        channel.Reader.ReadAllAsync(cancellationToken);

    public ValueTask UnsubscribeAsync(int? maxMessages = null) => owner.UnsubscribeAsync(this, maxMessages);

    public ValueTask DisposeAsync() => owner.UnsubscribeAsync(this, null);

    /// <summary>Limits the subscription to <paramref name="more"/> further messages; returns the new total limit.</summary>
    public long LimitTo(int more)
    {
        var limit = DeliveredMessages + more;
        Volatile.Write(ref maxMessages, limit);
        return limit;
    }

    /// <summary>Offers one message; it is dropped and counted when the consumer is behind.</summary>
    public void Deliver(BusMessage message)
    {
        var count = Interlocked.Increment(ref delivered);
        var max = Volatile.Read(ref maxMessages);
        if (count > max || IsCompleted)
        {
            return;
        }

        if (!channel.Writer.TryWrite(message))
        {
            var drops = Interlocked.Increment(ref dropped);
            // Log at 1, 2, 4, 8... drops: visible at once, yet bounded however long the consumer stalls.
            if (BitOperations.IsPow2(drops))
            {
                MessagingLog.SlowConsumer(logger, Subject, drops, capacity);
            }
        }

        if (count == max)
        {
            Complete();
            owner.OnMaxReached(this);
        }
    }

    /// <summary>
    /// The subject as a string, reusing the previous one when the bytes repeat (the common case for a
    /// non-wildcard subscription), so steady traffic allocates no subject strings. Reader-loop only.
    /// </summary>
    public string SubjectFromWire(ReadOnlySpan<byte> subject)
    {
        if (lastSubject is not null && subject.SequenceEqual(lastSubjectBytes))
        {
            return lastSubject;
        }

        lastSubjectBytes = subject.ToArray();
        lastSubject = Encoding.UTF8.GetString(subject);
        return lastSubject;
    }

    /// <summary>Ends the stream: the consumer reads what is buffered, then its enumeration completes.</summary>
    public void Complete()
    {
        if (Interlocked.Exchange(ref completed, 1) == 0)
        {
            channel.Writer.TryComplete();
        }
    }
}
