using LlmServe.Messaging.InProcess;
using LlmServe.Messaging.Protocol;
using LlmServe.Messaging.Requests;
using LlmServe.Messaging.Subjects;
using LlmServe.Messaging.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmServe.Messaging;

/// <summary>
/// <see cref="IMessageBus"/> inside one process, with NATS semantics: wildcards, queue groups (round-robin),
/// request/reply through an inbox, 503 no-responders, max payload (headers + payload, as NATS counts it) and
/// bounded subscription channels that drop and count when a consumer falls behind. Nothing is serialized;
/// payloads and headers are copied so the publisher may reuse its buffers.
/// </summary>
public sealed class InProcessBus : IMessageBus, ISubscriptionOwner
{
    private static readonly MessageHeaders NoRespondersHeaders = new() { StatusCode = PendingRequest.NoRespondersStatus };

    private readonly InProcessBusOptions options;
    private readonly ILogger logger;
    private readonly SubjectTable table = new();
    private readonly RequestManager requests = new();
    private int state = (int)BusConnectionState.Connected;
    private long lastSid;

    public InProcessBus(InProcessBusOptions? options = null, ILogger? logger = null)
    {
        this.options = options ?? new InProcessBusOptions();
        this.options.Validate();
        this.logger = logger ?? NullLogger.Instance;
        table.Add(requests.InboxSubject, null, new InboxTarget(requests));
    }

    public event EventHandler<BusConnectionState>? StateChanged;

    public BusConnectionState State => (BusConnectionState)Volatile.Read(ref state);

    public int MaxPayload => options.MaxPayload;

    public ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, string? replyTo = null,
        MessageHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        SubjectValidator.ValidatePublish(subject, nameof(subject));
        if (replyTo is not null)
        {
            SubjectValidator.ValidatePublish(replyTo, nameof(replyTo));
        }

        var size = (headers is null ? 0 : HeaderWriter.GetEncodedLength(headers)) + payload.Length;
        if (size > options.MaxPayload)
        {
            throw new PayloadTooLargeException(size, options.MaxPayload);
        }

        Route(subject, replyTo, headers, payload);
        return default;
    }

    public ValueTask<IBusSubscription> SubscribeAsync(string subject, string? queueGroup = null,
        SubscriptionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        SubjectValidator.ValidateSubscribe(subject, nameof(subject));
        SubjectValidator.ValidateQueueGroup(queueGroup, nameof(queueGroup));
        var subscription = new BusSubscription(Interlocked.Increment(ref lastSid), subject, queueGroup,
            options ?? SubscriptionOptions.Default, this, logger);
        table.Add(subject, queueGroup, subscription);
        return ValueTask.FromResult<IBusSubscription>(subscription);
    }

    public async ValueTask<BusMessage> RequestAsync(string subject, ReadOnlyMemory<byte> payload, TimeSpan timeout,
        MessageHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        var request = requests.Create(subject);
        try
        {
            await PublishAsync(subject, payload, request.ReplyTo, headers, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            requests.Forget(request);
            throw;
        }

        return await requests.WaitAsync(request, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Delivery is synchronous, so there is never anything to flush.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        return default;
    }

    public async ValueTask DrainAsync(CancellationToken cancellationToken = default)
    {
        if (!TrySetState(BusConnectionState.Connected, BusConnectionState.Draining))
        {
            return;
        }

        var drained = table.RemoveAll<BusSubscription>();
        foreach (var subscription in drained)
        {
            subscription.Complete();
        }

        try
        {
            await Task.WhenAll(drained.Select(subscription => subscription.Drained))
                .WaitAsync(options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            MessagingLog.DrainTimedOut(logger);
        }
        finally
        {
            Close();
        }
    }

    public ValueTask DisposeAsync()
    {
        Close();
        return default;
    }

    ValueTask ISubscriptionOwner.UnsubscribeAsync(BusSubscription subscription, int? maxMessages)
    {
        if (maxMessages is > 0 && !subscription.IsCompleted)
        {
            subscription.LimitTo(maxMessages.Value);
            return default;
        }

        table.Remove(subscription);
        subscription.Complete();
        return default;
    }

    void ISubscriptionOwner.OnMaxReached(BusSubscription subscription) => table.Remove(subscription);

    private void Route(string subject, string? replyTo, MessageHeaders? headers, ReadOnlyMemory<byte> payload)
    {
        var match = table.Match(subject);
        if (match.IsEmpty)
        {
            // What a NATS server does for a client that enabled no_responders: a 503 to the reply subject.
            if (replyTo is not null)
            {
                Route(replyTo, null, NoRespondersHeaders, ReadOnlyMemory<byte>.Empty);
            }

            return;
        }

        var message = new BusMessage(subject, replyTo, Copy(headers), payload.IsEmpty ? ReadOnlyMemory<byte>.Empty : payload.ToArray());
        foreach (var target in match.Plain)
        {
            target.Deliver(message);
        }

        foreach (var group in match.Groups)
        {
            group.Pick().Deliver(message);
        }
    }

    private static MessageHeaders? Copy(MessageHeaders? headers)
    {
        if (headers is null)
        {
            return null;
        }

        var copy = new MessageHeaders { StatusCode = headers.StatusCode, StatusDescription = headers.StatusDescription };
        foreach (var (key, values) in headers)
        {
            copy[key] = [.. values];
        }

        return copy;
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref state, (int)BusConnectionState.Closed) == (int)BusConnectionState.Closed)
        {
            return;
        }

        foreach (var subscription in table.RemoveAll<BusSubscription>())
        {
            subscription.Complete();
        }

        requests.FailAll(new BusClosedException("The message bus closed before a reply arrived."));
        RaiseStateChanged(BusConnectionState.Closed);
    }

    private bool TrySetState(BusConnectionState from, BusConnectionState to)
    {
        if (Interlocked.CompareExchange(ref state, (int)to, (int)from) != (int)from)
        {
            return false;
        }

        RaiseStateChanged(to);
        return true;
    }

    private void RaiseStateChanged(BusConnectionState next)
    {
        try
        {
            StateChanged?.Invoke(this, next);
        }
        catch (Exception exception)
        {
            MessagingLog.StateHandlerFailed(logger, exception);
        }
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref state) == (int)BusConnectionState.Closed)
        {
            throw new BusClosedException();
        }
    }
}
