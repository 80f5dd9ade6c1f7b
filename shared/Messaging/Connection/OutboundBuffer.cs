using System.Buffers;
using System.Threading.Channels;

namespace LlmServe.Messaging.Connection;

/// <summary>
/// The bounded buffer between publishers and the single writer loop. Publishers serialize frames straight
/// into pooled 64 KiB chunks under a short lock; the writer takes all chunks at once and writes them, so
/// many publishes from many threads become few socket writes.
/// <para>
/// Bounds: while connected, publishers wait once <see cref="NatsBusOptions.OutboundBufferSize"/> bytes are
/// pending (back-pressure); while disconnected, a publish that would exceed
/// <see cref="NatsBusOptions.ReconnectBufferSize"/> is refused with <see cref="ReconnectBufferFullException"/>.
/// Control frames (SUB/UNSUB) ignore both limits: they are tiny and must not deadlock behind data.
/// </para>
/// </summary>
internal sealed class OutboundBuffer
{
    public const int ChunkSize = 64 * 1024;

    private readonly Lock gate = new();
    private readonly Queue<OutboundSegment> ready = new();
    private readonly Channel<bool> signal = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private readonly long connectedLimit;
    private readonly long disconnectedLimit;
    private byte[]? current;
    private int currentLength;
    private long pendingBytes;
    private long unsentBytes;
    private long totalEnqueued;
    private long totalWritten;
    private long batchesWritten;
    private bool connected;
    private Exception? closedReason;
    private TaskCompletionSource? spaceWaiter;

    public OutboundBuffer(long connectedLimit, long disconnectedLimit)
    {
        this.connectedLimit = connectedLimit;
        this.disconnectedLimit = disconnectedLimit;
    }

    /// <summary>Bytes ever appended; a flush waits until <see cref="TotalWritten"/> reaches this.</summary>
    public long TotalEnqueued
    {
        get
        {
            lock (gate)
            {
                return totalEnqueued;
            }
        }
    }

    public long TotalWritten
    {
        get
        {
            lock (gate)
            {
                return totalWritten;
            }
        }
    }

    /// <summary>Batches the writer has completed; bytes written / batches is the coalescing achieved.</summary>
    public long BatchesWritten => Interlocked.Read(ref batchesWritten);

    /// <summary>Bytes appended since the writer last took a batch; read without the lock, so approximate.</summary>
    public long UnsentBytes => Volatile.Read(ref unsentBytes);

    /// <summary>Bytes appended and not yet written (including a batch being written right now).</summary>
    public long PendingBytes
    {
        get
        {
            lock (gate)
            {
                return pendingBytes;
            }
        }
    }

    /// <summary>
    /// Reserves <paramref name="length"/> bytes for one data frame. On true the buffer's lock is held until
    /// <see cref="EndWrite"/>; on false the buffer is full and the caller should <see cref="WaitForSpaceAsync"/>.
    /// </summary>
    public bool TryBeginWrite(int length, out Span<byte> destination)
    {
        gate.Enter();
        if (closedReason is not null)
        {
            gate.Exit();
            throw new BusClosedException("The message bus is closed.", closedReason);
        }

        if (!connected)
        {
            if (pendingBytes + length > disconnectedLimit)
            {
                var buffered = pendingBytes;
                gate.Exit();
                throw new ReconnectBufferFullException(buffered, disconnectedLimit);
            }
        }
        else if (pendingBytes > 0 && pendingBytes + length > connectedLimit)
        {
            gate.Exit();
            destination = default;
            return false;
        }

        destination = Reserve(length);
        return true;
    }

    /// <summary>Reserves space for a control frame regardless of the limits; the lock is held until <see cref="EndWrite"/>.</summary>
    public Span<byte> BeginControlWrite(int length)
    {
        gate.Enter();
        if (closedReason is not null)
        {
            gate.Exit();
            throw new BusClosedException("The message bus is closed.", closedReason);
        }

        return Reserve(length);
    }

    /// <summary>
    /// Commits <paramref name="length"/> of the reserved bytes (at most what was reserved), releases the lock
    /// and wakes the writer if it may be idle.
    /// </summary>
    public void EndWrite(int length)
    {
        // The writer took everything last time it ran, so data arriving into an empty buffer is the one
        // moment it may be waiting; later appends ride on the same wake-up.
        var wasEmpty = ready.Count == 0 && currentLength == 0;
        currentLength += length;
        pendingBytes += length;
        totalEnqueued += length;
        Volatile.Write(ref unsentBytes, unsentBytes + length);
        gate.Exit();
        if (wasEmpty)
        {
            signal.Writer.TryWrite(true);
        }
    }

    public async ValueTask WaitForSpaceAsync(int length, CancellationToken cancellationToken)
    {
        Task waitFor;
        lock (gate)
        {
            if (closedReason is not null)
            {
                throw new BusClosedException("The message bus is closed.", closedReason);
            }

            if (!connected || pendingBytes == 0 || pendingBytes + length <= connectedLimit)
            {
                return;
            }

            spaceWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waitFor = spaceWaiter.Task;
        }

        await waitFor.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Wakes the writer for work that is not data (PING, PONG, a flush).</summary>
    public void Signal() => signal.Writer.TryWrite(true);

    public async ValueTask WaitForSignalAsync(CancellationToken cancellationToken)
    {
        if (!await signal.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new BusClosedException();
        }

        signal.Reader.TryRead(out _);
    }

    /// <summary>Moves every pending chunk into <paramref name="batch"/> for the writer.</summary>
    public void TakeBatch(List<OutboundSegment> batch)
    {
        lock (gate)
        {
            while (ready.TryDequeue(out var segment))
            {
                batch.Add(segment);
            }

            if (currentLength > 0)
            {
                batch.Add(new OutboundSegment(current!, currentLength));
                current = null;
                currentLength = 0;
            }

            Volatile.Write(ref unsentBytes, 0);
        }
    }

    /// <summary>The batch reached the socket: recycle its chunks, let waiting publishers in; returns <see cref="TotalWritten"/>.</summary>
    public long CompleteBatch(List<OutboundSegment> batch)
    {
        long bytes = 0;
        foreach (var segment in batch)
        {
            bytes += segment.Length;
            ArrayPool<byte>.Shared.Return(segment.Array);
        }

        batch.Clear();
        TaskCompletionSource? waiter;
        long written;
        lock (gate)
        {
            pendingBytes -= bytes;
            totalWritten += bytes;
            batchesWritten++;
            written = totalWritten;
            waiter = spaceWaiter;
            spaceWaiter = null;
        }

        waiter?.TrySetResult();
        return written;
    }

    /// <summary>
    /// The connection failed while writing the batch: put it back in front so it goes out first after
    /// reconnecting. Frames the old socket did take may then arrive twice; that beats losing them.
    /// </summary>
    public void RequeueBatch(List<OutboundSegment> batch)
    {
        lock (gate)
        {
            if (closedReason is not null)
            {
                foreach (var segment in batch)
                {
                    ArrayPool<byte>.Shared.Return(segment.Array);
                }

                batch.Clear();
                return;
            }

            var rest = ready.ToArray();
            ready.Clear();
            foreach (var segment in batch)
            {
                ready.Enqueue(segment);
            }

            foreach (var segment in rest)
            {
                ready.Enqueue(segment);
            }

            if (currentLength > 0)
            {
                ready.Enqueue(new OutboundSegment(current!, currentLength));
                current = null;
                currentLength = 0;
            }

            Volatile.Write(ref unsentBytes, ready.Sum(segment => (long)segment.Length));
        }

        batch.Clear();
    }

    /// <summary>Switches between the connected (wait when full) and disconnected (refuse when full) limits.</summary>
    public void SetConnected(bool isConnected)
    {
        TaskCompletionSource? waiter;
        lock (gate)
        {
            connected = isConnected;
            waiter = spaceWaiter;
            spaceWaiter = null;
        }

        // Waiting publishers re-check under the new rules (a disconnected one may now be refused).
        waiter?.TrySetResult();
    }

    /// <summary>Discards everything unsent and fails waiting publishers; later writes throw <see cref="BusClosedException"/>.</summary>
    public void Close(Exception reason)
    {
        TaskCompletionSource? waiter;
        lock (gate)
        {
            if (closedReason is not null)
            {
                return;
            }

            closedReason = reason;
            while (ready.TryDequeue(out var segment))
            {
                ArrayPool<byte>.Shared.Return(segment.Array);
            }

            if (current is not null)
            {
                ArrayPool<byte>.Shared.Return(current);
                current = null;
                currentLength = 0;
            }

            waiter = spaceWaiter;
            spaceWaiter = null;
        }

        waiter?.TrySetException(new BusClosedException("The message bus is closed.", reason));
        signal.Writer.TryComplete();
    }

    private Span<byte> Reserve(int length)
    {
        if (current is null || current.Length - currentLength < length)
        {
            if (currentLength > 0)
            {
                ready.Enqueue(new OutboundSegment(current!, currentLength));
            }
            else if (current is not null)
            {
                ArrayPool<byte>.Shared.Return(current);
            }

            current = ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, length));
            currentLength = 0;
        }

        return current.AsSpan(currentLength, length);
    }
}
