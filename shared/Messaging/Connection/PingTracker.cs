using LlmServe.Messaging.Protocol;

namespace LlmServe.Messaging.Connection;

/// <summary>
/// PING/PONG bookkeeping. The server answers PINGs in order, so one FIFO of waiters pairs each PONG with
/// the PING it answers: a flush's waiter, or null for a keep-alive. The writer loop is the only place that
/// emits PINGs and PONGs, right after the data written before them, which is what makes a flush mean
/// "everything published before this call reached the server".
/// </summary>
internal sealed class PingTracker
{
    private readonly Lock gate = new();
    private readonly Queue<TaskCompletionSource?> awaitingPong = new();
    private readonly List<(long Target, TaskCompletionSource Waiter)> pendingFlushes = [];
    private int pongsOwed;
    private bool keepAliveRequested;
    private int keepAlivesOutstanding;
    private Exception? closedReason;
    private volatile bool hasWork;

    /// <summary>Registers a flush that needs a PING once <paramref name="target"/> bytes have been written.</summary>
    public Task RequestFlush(long target)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (gate)
        {
            if (closedReason is not null)
            {
                throw new BusClosedException("The message bus is closed.", closedReason);
            }

            pendingFlushes.Add((target, waiter));
            hasWork = true;
        }

        return waiter.Task;
    }

    public void OnServerPing()
    {
        lock (gate)
        {
            pongsOwed++;
            hasWork = true;
        }
    }

    /// <summary>Asks for a keep-alive PING; false when <paramref name="maxPingsOut"/> are already unanswered (stale connection).</summary>
    public bool TryRequestKeepAlive(int maxPingsOut)
    {
        lock (gate)
        {
            if (keepAlivesOutstanding >= maxPingsOut)
            {
                return false;
            }

            keepAlivesOutstanding++;
            keepAliveRequested = true;
            hasWork = true;
            return true;
        }
    }

    public void OnPong()
    {
        TaskCompletionSource? waiter;
        lock (gate)
        {
            // Any PONG proves the connection alive, whichever PING it answers.
            keepAlivesOutstanding = 0;
            if (!awaitingPong.TryDequeue(out waiter))
            {
                return;
            }
        }

        waiter?.TrySetResult();
    }

    /// <summary>
    /// Writes owed PONGs and due PINGs into <paramref name="destination"/>; returns the bytes written (0 when
    /// there is nothing to send). Flushes are due once <paramref name="totalWritten"/> reaches their target.
    /// </summary>
    public int WriteControl(Span<byte> destination, long totalWritten)
    {
        // Checked on every writer iteration; the lock is only worth taking when something was requested.
        if (!hasWork)
        {
            return 0;
        }

        var written = 0;
        var frame = ProtocolWriter.Ping.Length;
        lock (gate)
        {
            while (pongsOwed > 0 && destination.Length - written >= frame)
            {
                ProtocolWriter.Pong.CopyTo(destination[written..]);
                written += frame;
                pongsOwed--;
            }

            for (var i = 0; i < pendingFlushes.Count && destination.Length - written >= frame;)
            {
                if (pendingFlushes[i].Target > totalWritten)
                {
                    i++;
                    continue;
                }

                ProtocolWriter.Ping.CopyTo(destination[written..]);
                written += frame;
                awaitingPong.Enqueue(pendingFlushes[i].Waiter);
                pendingFlushes.RemoveAt(i);
            }

            if (keepAliveRequested && destination.Length - written >= frame)
            {
                ProtocolWriter.Ping.CopyTo(destination[written..]);
                written += frame;
                awaitingPong.Enqueue(null);
                keepAliveRequested = false;
            }

            hasWork = pongsOwed > 0 || keepAliveRequested || pendingFlushes.Count > 0;
        }

        return written;
    }

    /// <summary>
    /// The connection dropped: PINGs in flight will never be answered, so their flushes are re-sent on the
    /// next connection; owed PONGs and keep-alives belong to the dead connection.
    /// </summary>
    public void OnDisconnected()
    {
        lock (gate)
        {
            while (awaitingPong.TryDequeue(out var waiter))
            {
                if (waiter is not null)
                {
                    pendingFlushes.Add((0, waiter));
                    hasWork = true;
                }
            }

            pongsOwed = 0;
            keepAliveRequested = false;
            keepAlivesOutstanding = 0;
        }
    }

    public void Close(Exception reason)
    {
        List<TaskCompletionSource> waiters = [];
        lock (gate)
        {
            closedReason ??= reason;
            while (awaitingPong.TryDequeue(out var waiter))
            {
                if (waiter is not null)
                {
                    waiters.Add(waiter);
                }
            }

            waiters.AddRange(pendingFlushes.Select(flush => flush.Waiter));
            pendingFlushes.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter.TrySetException(new BusClosedException("The message bus is closed.", reason));
        }
    }
}
