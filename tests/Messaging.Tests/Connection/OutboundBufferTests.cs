using LlmServe.Messaging.Connection;

namespace LlmServe.Messaging.Tests.Connection;

public sealed class OutboundBufferTests
{
    [Fact]
    public void Many_small_frames_are_taken_as_one_batch()
    {
        var buffer = new OutboundBuffer(1 << 20, 1 << 20);
        buffer.SetConnected(true);
        for (var i = 0; i < 1000; i++)
        {
            Write(buffer, 40);
        }

        var batch = new List<OutboundSegment>();
        buffer.TakeBatch(batch);

        Assert.Single(batch);
        Assert.Equal(40_000, batch[0].Length);
        buffer.CompleteBatch(batch);
        Assert.Equal(0, buffer.PendingBytes);
        Assert.Equal(40_000, buffer.TotalWritten);
    }

    [Fact]
    public async Task When_full_while_connected_writers_wait_until_the_writer_frees_space()
    {
        var buffer = new OutboundBuffer(64 * 1024, 1 << 20);
        buffer.SetConnected(true);
        Write(buffer, 60 * 1024);

        Assert.False(buffer.TryBeginWrite(8 * 1024, out _));
        var waiting = buffer.WaitForSpaceAsync(8 * 1024, CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        var batch = new List<OutboundSegment>();
        buffer.TakeBatch(batch);
        buffer.CompleteBatch(batch);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(buffer.TryBeginWrite(8 * 1024, out _));
        buffer.EndWrite(8 * 1024);
    }

    [Fact]
    public void While_disconnected_a_write_beyond_the_reconnect_limit_is_refused()
    {
        var buffer = new OutboundBuffer(1 << 20, 1000);
        Write(buffer, 600);

        var error = Assert.Throws<ReconnectBufferFullException>(() => buffer.TryBeginWrite(600, out _));

        Assert.Equal(600, error.BufferedBytes);
        Assert.Equal(1000, error.Limit);
        Assert.Equal(600, buffer.PendingBytes);
    }

    [Fact]
    public void A_failed_batch_is_sent_again_before_newer_frames()
    {
        var buffer = new OutboundBuffer(1 << 20, 1 << 20);
        buffer.SetConnected(true);
        WriteByte(buffer, 1);
        var batch = new List<OutboundSegment>();
        buffer.TakeBatch(batch);
        WriteByte(buffer, 2);

        buffer.RequeueBatch(batch);
        buffer.TakeBatch(batch);

        Assert.Equal([1, 2], batch.SelectMany(segment => segment.Memory.ToArray()));
    }

    [Fact]
    public async Task Closing_fails_waiting_and_later_writers()
    {
        var buffer = new OutboundBuffer(64 * 1024, 1 << 20);
        buffer.SetConnected(true);
        Write(buffer, 64 * 1024);
        var waiting = buffer.WaitForSpaceAsync(1024, CancellationToken.None).AsTask();

        buffer.Close(new InvalidOperationException("test"));

        await Assert.ThrowsAsync<BusClosedException>(() => waiting);
        Assert.Throws<BusClosedException>(() => buffer.TryBeginWrite(1, out _));
    }

    private static void Write(OutboundBuffer buffer, int length)
    {
        Assert.True(buffer.TryBeginWrite(length, out var span));
        span.Fill(7);
        buffer.EndWrite(length);
    }

    private static void WriteByte(OutboundBuffer buffer, byte value)
    {
        Assert.True(buffer.TryBeginWrite(1, out var span));
        span[0] = value;
        buffer.EndWrite(1);
    }
}
