using System.Buffers;
using System.Diagnostics;
using System.Text;
using LlmServe.Messaging.Protocol;
using LlmServe.Messaging.Transport;

namespace LlmServe.Messaging.Connection;

/// <summary>
/// One established connection and its three loops: the reader (parse and dispatch), the writer (drain the
/// outbound buffer, then PINGs/PONGs) and the keep-alive timer. The first loop to fail ends the session;
/// <see cref="RunAsync"/> then stops the others and reports why.
/// </summary>
internal sealed class NatsSession(
    SocketConnection connection,
    ProtocolParser parser,
    NatsServerAddress address,
    ServerInfo info,
    ReadOnlyMemory<byte> openingFrames,
    OutboundBuffer outbound,
    PingTracker pings,
    InboundDispatcher inbound,
    NatsBusOptions options)
{
    private const int CoalesceTargetBytes = 32 * 1024;
    private static readonly long CoalesceWindowTicks = Stopwatch.Frequency * 10 / 1_000_000;

    private Exception? failure;

    public NatsServerAddress Address { get; } = address;

    public ServerInfo Info { get; } = info;

    /// <summary>Runs until the connection fails or <paramref name="closing"/> fires; returns the reason it ended.</summary>
    public async Task<Exception> RunAsync(CancellationToken closing)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(closing);
        var loops = new[] { ReadLoopAsync(stop.Token), WriteLoopAsync(stop.Token), KeepAliveLoopAsync(stop.Token) };
        await Task.WhenAny(loops).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        connection.Abort();
        await Task.WhenAll(loops).ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
        return failure ?? new BusConnectionException("The connection was closed.");
    }

    private void Fail(Exception reason) => Interlocked.CompareExchange(ref failure, reason, null);

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var reader = connection.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    Dispatch(ref buffer);
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    var error = inbound.LastError;
                    Fail(new BusConnectionException(error is null
                        ? $"{Address} closed the connection."
                        : $"{Address} closed the connection after: {error}"));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Fail(new BusConnectionException("The connection was closed."));
        }
        catch (Exception exception)
        {
            // Protocol errors, socket errors and a crashing delivery all end only this connection.
            Fail(exception);
        }
    }

    private void Dispatch(ref ReadOnlySequence<byte> buffer)
    {
        while (parser.TryParse(ref buffer, out var op))
        {
            switch (op.Kind)
            {
                case ServerOpKind.Msg:
                case ServerOpKind.HMsg:
                    inbound.OnMessage(op);
                    break;
                case ServerOpKind.Ping:
                    pings.OnServerPing();
                    outbound.Signal();
                    break;
                case ServerOpKind.Pong:
                    pings.OnPong();
                    break;
                case ServerOpKind.Info:
                    inbound.OnInfo(ServerInfoParser.Parse(op.Text));
                    break;
                case ServerOpKind.Err:
                    inbound.OnError(Encoding.UTF8.GetString(op.Text));
                    break;
                default:
                    break;
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        var stream = connection.Stream;
        var batch = new List<OutboundSegment>();
        var control = new byte[4096];
        try
        {
            await stream.WriteAsync(openingFrames, cancellationToken).ConfigureAwait(false);
            var streaming = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (streaming)
                {
                    AwaitFullerBatch();
                }

                outbound.TakeBatch(batch);
                var wroteData = batch.Count > 0;
                foreach (var segment in batch)
                {
                    await stream.WriteAsync(segment.Memory, cancellationToken).ConfigureAwait(false);
                }

                var totalWritten = wroteData ? outbound.CompleteBatch(batch) : outbound.TotalWritten;
                var controlLength = pings.WriteControl(control, totalWritten);
                if (controlLength > 0)
                {
                    await stream.WriteAsync(control.AsMemory(0, controlLength), cancellationToken).ConfigureAwait(false);
                }
                else if (!wroteData)
                {
                    await outbound.WaitForSignalAsync(cancellationToken).ConfigureAwait(false);
                }

                // Publishers kept writing while the socket write ran: more is coming right behind.
                streaming = wroteData && outbound.UnsentBytes > 0;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outbound.RequeueBatch(batch);
        }
        catch (Exception exception)
        {
            outbound.RequeueBatch(batch);
            Fail(exception);
        }
    }

    /// <summary>
    /// While publishers stream, waits a few microseconds for the next batch to fill up, so the socket sees
    /// fewer, larger writes. An idle connection never gets here, so a lone request is not delayed.
    /// </summary>
    private void AwaitFullerBatch()
    {
        var deadline = Stopwatch.GetTimestamp() + CoalesceWindowTicks;
        // Polling sparsely matters: every read of the counter pulls its cache line away from the publisher.
        while (outbound.UnsentBytes < CoalesceTargetBytes && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.SpinWait(64);
        }
    }

    private async Task KeepAliveLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.PingInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!pings.TryRequestKeepAlive(options.MaxPingsOut))
                {
                    Fail(new BusConnectionException($"Stale connection: {options.MaxPingsOut} PINGs to {Address} went unanswered."));
                    return;
                }

                outbound.Signal();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The session is ending for another reason.
        }
    }
}
