using System.Buffers;
using System.Text;
using LlmServe.Messaging.Connection;
using LlmServe.Messaging.Protocol;
using LlmServe.Messaging.Requests;
using LlmServe.Messaging.Subjects;
using LlmServe.Messaging.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace LlmServe.Messaging;

/// <summary>
/// <see cref="IMessageBus"/> over the NATS core protocol. Publishes are serialized into a bounded buffer that
/// one writer loop drains to the socket; one reader loop parses and routes messages to bounded subscription
/// channels. A lost connection is re-established with back-off, subscriptions are re-sent, and publishes made
/// meanwhile are kept up to <see cref="NatsBusOptions.ReconnectBufferSize"/> bytes.
/// </summary>
public sealed class NatsBus : IMessageBus, ISubscriptionOwner
{
    private const int DefaultMaxPayload = 1024 * 1024;

    private readonly NatsBusOptions options;
    private readonly IReadOnlyList<NatsServerAddress> servers;
    private readonly ILogger logger;
    private readonly OutboundBuffer outbound;
    private readonly PingTracker pings = new();
    private readonly SubscriptionManager subscriptions = new();
    private readonly RequestManager requests;
    private readonly InboundDispatcher inbound;
    private readonly CancellationTokenSource closing = new();
    private readonly Lock stateGate = new();
    private BusConnectionState state = BusConnectionState.Disconnected;
    private int connectStarted;
    private int closed;
    private volatile bool publishesBlocked;
    private int nextServer;
    private Task supervisor = Task.CompletedTask;
    private string? lastValidSubject;
    private EncodedSubject? encodedSubject;

    /// <summary>Creates a bus that is not connected yet; call <see cref="ConnectAsync(CancellationToken)"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public NatsBus(NatsBusOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        servers = options.Validate();
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        requests = new RequestManager(options.EffectiveInboxPrefix);
        outbound = new OutboundBuffer(options.OutboundBufferSize, options.ReconnectBufferSize);
        inbound = new InboundDispatcher(subscriptions, requests, this.logger);
    }

    public event EventHandler<BusConnectionState>? StateChanged;

    public BusConnectionState State
    {
        get
        {
            lock (stateGate)
            {
                return state;
            }
        }
    }

    public int MaxPayload => inbound.ServerInfo?.MaxPayload ?? DefaultMaxPayload;

    /// <summary>The server currently connected to, or null.</summary>
    public string? ConnectedServer { get; private set; }

    /// <summary>Bytes serialized but not yet written to the socket (also what a reconnect will send first).</summary>
    public long PendingOutboundBytes => outbound.PendingBytes;

    /// <summary>Outbound bytes written and the number of socket write batches they took (for benchmarks).</summary>
    internal (long Bytes, long Batches) WriteStatistics => (outbound.TotalWritten, outbound.BatchesWritten);

    /// <summary>Connects and returns a ready bus.</summary>
    /// <exception cref="BusAuthorizationException">The server refused the credentials.</exception>
    /// <exception cref="BusConnectionException">No server could be reached.</exception>
    public static async Task<NatsBus> ConnectAsync(NatsBusOptions options, ILogger? logger = null,
        CancellationToken cancellationToken = default)
    {
        var bus = new NatsBus(options, logger);
        try
        {
            await bus.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return bus;
        }
        catch
        {
            await bus.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Connects to the first server that accepts, trying each in turn; while none is reachable it retries with
    /// the reconnect back-off until <see cref="NatsBusOptions.InitialConnectTimeout"/> has passed. Publishes made
    /// before this completes are buffered like publishes during a reconnect.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref connectStarted, 1) != 0)
        {
            throw new InvalidOperationException("ConnectAsync was already called on this bus.");
        }

        ThrowIfClosed();
        SetState(BusConnectionState.Connecting);
        List<Exception> failures = [];
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closing.Token);
        for (int round = 0; ; round++)
        {
            foreach (var address in servers)
            {
                try
                {
                    var session = await OpenSessionAsync(address, linked.Token).ConfigureAwait(false);
                    OnSessionOpened(session);
                    supervisor = Task.Run(() => SuperviseAsync(session), CancellationToken.None);
                    return;
                }
                catch (BusConnectionException exception)
                {
                    failures.Add(exception);
                }
                catch (BusProtocolException exception)
                {
                    failures.Add(exception);
                }
            }

            TimeSpan left = options.InitialConnectTimeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero || failures.OfType<BusAuthorizationException>().Any())
            {
                break; // out of time, or refused credentials that no retry will fix
            }
            TimeSpan wait = InitialConnectDelay(round);
            MessagingLog.InitialConnectRetry(logger, string.Join(", ", servers), failures[^1].Message, wait.TotalMilliseconds);
            try
            {
                await Task.Delay(wait < left ? wait : left, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                SetState(BusConnectionState.Disconnected);
                throw;
            }
        }

        SetState(BusConnectionState.Disconnected);
        throw failures.OfType<BusAuthorizationException>().FirstOrDefault()
            ?? (Exception)new BusConnectionException(
                $"Could not connect to {string.Join(", ", servers)}: {failures[^1].Message}", new AggregateException(failures));
    }

    public ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> payload, string? replyTo = null,
        MessageHeaders? headers = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotAcceptingPublishes();
        // Publishers mostly reuse one subject string: checking (and encoding) it once per instance keeps both off
        // the hot path. The encoding is cached only on the second use in a row, so ever-changing subjects
        // (replies to inboxes) allocate nothing.
        var encoded = ReadOnlySpan<byte>.Empty;
        if (ReferenceEquals(subject, lastValidSubject))
        {
            var cached = encodedSubject;
            if (cached is null || !ReferenceEquals(cached.Subject, subject))
            {
                encodedSubject = cached = new EncodedSubject(subject);
            }

            encoded = cached.Utf8;
        }
        else
        {
            SubjectValidator.ValidatePublish(subject, nameof(subject));
            lastValidSubject = subject;
        }

        if (replyTo is not null)
        {
            SubjectValidator.ValidatePublish(replyTo, nameof(replyTo));
        }

        var headerLength = headers is null ? 0 : HeaderWriter.GetEncodedLength(headers);
        var size = headerLength + payload.Length;
        var maxPayload = MaxPayload;
        if (size > maxPayload)
        {
            throw new PayloadTooLargeException(size, maxPayload);
        }

        var frameLength = ProtocolWriter.GetMaxPublishLength(subject, replyTo, headerLength, payload.Length);
        if (TryWritePublish(frameLength, subject, encoded, replyTo, headers, headerLength, payload.Span))
        {
            return default;
        }

        return PublishWhenSpaceAsync(frameLength, subject, replyTo, headers, headerLength, payload, cancellationToken);
    }

    /// <summary>
    /// Subscribes; when connected, also waits for a PING/PONG round trip so the server knows the subscription
    /// before this returns (a publish from another connection right after will be seen).
    /// </summary>
    public async ValueTask<IBusSubscription> SubscribeAsync(string subject, string? queueGroup = null,
        SubscriptionOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfNotAcceptingPublishes();
        SubjectValidator.ValidateSubscribe(subject, nameof(subject));
        SubjectValidator.ValidateQueueGroup(queueGroup, nameof(queueGroup));
        var subscription = new BusSubscription(subscriptions.NextSid(), subject, queueGroup,
            options ?? SubscriptionOptions.Default, this, logger);
        subscriptions.Add(subscription);
        // Always buffered, even while reconnecting: a resubscribe that already ran would not include it.
        var length = ProtocolWriter.GetSubscribeLength(subject, queueGroup, subscription.Sid);
        var span = outbound.BeginControlWrite(length);
        ProtocolWriter.WriteSubscribe(span, subject, queueGroup, subscription.Sid);
        outbound.EndWrite(length);
        if (State == BusConnectionState.Connected)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return subscription;
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

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var flushed = pings.RequestFlush(outbound.TotalEnqueued);
        outbound.Signal();
        await flushed.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Unsubscribes everything, lets consumers read what their channels hold (publishing, e.g. replies, still
    /// works meanwhile), then refuses new publishes, flushes and closes. Bounded by <see cref="NatsBusOptions.DrainTimeout"/>.
    /// </summary>
    public async ValueTask DrainAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref closed) != 0)
        {
            return;
        }

        SetState(BusConnectionState.Draining);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.DrainTimeout);
        try
        {
            // The subscriptions stay in the routing table until the PONG: a message the server sent before it read an
            // UNSUB may still be on its way, and a sid no longer in the table would drop it.
            var drained = subscriptions.Snapshot();
            foreach (var subscription in drained)
            {
                WriteUnsubscribe(subscription.Sid, null);
            }

            // After the PONG, every message the server sent before the UNSUBs has been read and routed.
            await FlushAsync(deadline.Token).ConfigureAwait(false);
            foreach (var subscription in drained)
            {
                subscriptions.Remove(subscription);
                subscription.Complete();
            }

            await Task.WhenAll(drained.Select(subscription => subscription.Drained)).WaitAsync(deadline.Token).ConfigureAwait(false);
            publishesBlocked = true;
            await FlushAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            MessagingLog.DrainTimedOut(logger);
        }
        finally
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close(new BusClosedException("The message bus was disposed."));
        await supervisor.ConfigureAwait(false);
        closing.Dispose();
    }

    ValueTask ISubscriptionOwner.UnsubscribeAsync(BusSubscription subscription, int? maxMessages)
    {
        if (maxMessages is > 0 && !subscription.IsCompleted)
        {
            var limit = subscription.LimitTo(maxMessages.Value);
            if (Volatile.Read(ref closed) == 0)
            {
                WriteUnsubscribe(subscription.Sid, limit - subscription.DeliveredAtSessionStart);
            }

            return default;
        }

        if (subscriptions.Remove(subscription) && Volatile.Read(ref closed) == 0)
        {
            WriteUnsubscribe(subscription.Sid, null);
        }

        subscription.Complete();
        return default;
    }

    void ISubscriptionOwner.OnMaxReached(BusSubscription subscription) =>
        // The server applied the same limit and forgot the sid itself; no UNSUB needed.
        subscriptions.Remove(subscription);

    private bool TryWritePublish(int frameLength, string subject, ReadOnlySpan<byte> subjectUtf8, string? replyTo,
        MessageHeaders? headers, int headerLength, ReadOnlySpan<byte> payload)
    {
        if (!outbound.TryBeginWrite(frameLength, out var destination))
        {
            return false;
        }

        outbound.EndWrite(ProtocolWriter.WritePublish(destination, subject, subjectUtf8, replyTo, headers, headerLength, payload));
        return true;
    }

    private async ValueTask PublishWhenSpaceAsync(int frameLength, string subject, string? replyTo,
        MessageHeaders? headers, int headerLength, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        while (true)
        {
            await outbound.WaitForSpaceAsync(frameLength, cancellationToken).ConfigureAwait(false);
            ThrowIfNotAcceptingPublishes();
            if (TryWritePublish(frameLength, subject, [], replyTo, headers, headerLength, payload.Span))
            {
                return;
            }
        }
    }

    private void WriteUnsubscribe(long sid, long? maxMessages)
    {
        var length = ProtocolWriter.GetUnsubscribeLength(sid, maxMessages);
        try
        {
            var span = outbound.BeginControlWrite(length);
            ProtocolWriter.WriteUnsubscribe(span, sid, maxMessages);
            outbound.EndWrite(length);
        }
        catch (BusClosedException)
        {
            // A closed connection has no subscriptions left to cancel.
        }
    }

    private async Task<NatsSession> OpenSessionAsync(NatsServerAddress address, CancellationToken cancellationToken)
    {
        var parser = new ProtocolParser();
        var (connection, info) = await Handshake.ConnectAsync(address, options, parser, cancellationToken).ConfigureAwait(false);
        inbound.ServerInfo = info;
        inbound.ClearError();
        return new NatsSession(connection, parser, address, info, BuildOpeningFrames(), outbound, pings, inbound, options);
    }

    /// <summary>SUB for the request inbox and every live subscription (with its remaining UNSUB max), sent before any buffered data.</summary>
    private ReadOnlyMemory<byte> BuildOpeningFrames()
    {
        var frames = new ArrayBufferWriter<byte>(1024);
        Write(frames, ProtocolWriter.GetSubscribeLength(requests.InboxSubject, null, SubscriptionManager.InboxSid),
            span => ProtocolWriter.WriteSubscribe(span, requests.InboxSubject, null, SubscriptionManager.InboxSid));
        foreach (var subscription in subscriptions.Snapshot())
        {
            var delivered = subscription.DeliveredMessages;
            subscription.DeliveredAtSessionStart = delivered;
            Write(frames, ProtocolWriter.GetSubscribeLength(subscription.Subject, subscription.QueueGroup, subscription.Sid),
                span => ProtocolWriter.WriteSubscribe(span, subscription.Subject, subscription.QueueGroup, subscription.Sid));
            if (subscription.MaxMessages != long.MaxValue)
            {
                var remaining = Math.Max(1, subscription.MaxMessages - delivered);
                Write(frames, ProtocolWriter.GetUnsubscribeLength(subscription.Sid, remaining),
                    span => ProtocolWriter.WriteUnsubscribe(span, subscription.Sid, remaining));
            }
        }

        return frames.WrittenMemory;

        static void Write(ArrayBufferWriter<byte> output, int length, SpanFunc write)
        {
            write(output.GetSpan(length)[..length]);
            output.Advance(length);
        }
    }

    private void OnSessionOpened(NatsSession session)
    {
        ConnectedServer = session.Address.ToString();
        outbound.SetConnected(true);
        MessagingLog.Connected(logger, ConnectedServer, session.Info.ServerName, session.Info.Version, session.Info.MaxPayload);
        SetState(BusConnectionState.Connected);
    }

    private async Task SuperviseAsync(NatsSession session)
    {
        while (true)
        {
            var reason = await session.RunAsync(closing.Token).ConfigureAwait(false);
            if (closing.IsCancellationRequested)
            {
                return;
            }

            MessagingLog.Disconnected(logger, session.Address.ToString(), reason.Message);
            ConnectedServer = null;
            outbound.SetConnected(false);
            pings.OnDisconnected();
            SetState(BusConnectionState.Reconnecting);
            try
            {
                session = await ReconnectAsync(closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (closing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                MessagingLog.GaveUp(logger, exception);
                Close(new BusConnectionException("Gave up reconnecting.", exception));
                return;
            }

            OnSessionOpened(session);
        }
    }

    // The reconnect back-off without jitter: ReconnectWait doubling per round, capped at ReconnectWaitMax.
    private TimeSpan InitialConnectDelay(int round)
    {
        double ms = options.ReconnectWait.TotalMilliseconds * Math.Pow(2, Math.Min(round, 20));
        return TimeSpan.FromMilliseconds(Math.Min(ms, options.ReconnectWaitMax.TotalMilliseconds));
    }

    private async Task<NatsSession> ReconnectAsync(CancellationToken cancellationToken)
    {
        if (options.MaxReconnectAttempts == 0)
        {
            throw new BusConnectionException("Reconnecting is disabled (MaxReconnectAttempts = 0).");
        }

        if (options.MaxReconnectAttempts == 1)
        {
            return await OpenSessionAsync(NextServer(), cancellationToken).ConfigureAwait(false);
        }

        var pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(exception => exception is not OperationCanceledException),
            MaxRetryAttempts = options.MaxReconnectAttempts < 0 ? int.MaxValue : options.MaxReconnectAttempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.ReconnectWait,
            MaxDelay = options.ReconnectWaitMax,
            OnRetry = arguments =>
            {
                MessagingLog.ReconnectFailed(logger, arguments.AttemptNumber + 1, arguments.Outcome.Exception?.Message ?? "unknown");
                return default;
            },
        }).Build();
        return await pipeline.ExecuteAsync(
            async token => await OpenSessionAsync(NextServer(), token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    private NatsServerAddress NextServer() => servers[(int)((uint)Interlocked.Increment(ref nextServer) % (uint)servers.Count)];

    private void Close(Exception reason)
    {
        if (Interlocked.Exchange(ref closed, 1) != 0)
        {
            return;
        }

        closing.Cancel();
        outbound.Close(reason);
        pings.Close(reason);
        requests.FailAll(new BusClosedException("The message bus closed before a reply arrived.", reason));
        foreach (var subscription in subscriptions.RemoveAll())
        {
            subscription.Complete();
        }

        ConnectedServer = null;
        SetState(BusConnectionState.Closed);
    }

    private void SetState(BusConnectionState next)
    {
        lock (stateGate)
        {
            if (state == next || state == BusConnectionState.Closed)
            {
                return;
            }

            state = next;
        }

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
        if (Volatile.Read(ref closed) != 0)
        {
            throw new BusClosedException();
        }
    }

    private void ThrowIfNotAcceptingPublishes()
    {
        if (publishesBlocked || Volatile.Read(ref closed) != 0)
        {
            throw new BusClosedException();
        }
    }

    private delegate void SpanFunc(Span<byte> destination);

    /// <summary>A subject and its UTF-8 bytes, swapped in as one reference so racing publishers see a matching pair.</summary>
    private sealed class EncodedSubject(string subject)
    {
        public string Subject { get; } = subject;

        public byte[] Utf8 { get; } = Encoding.UTF8.GetBytes(subject);
    }
}
