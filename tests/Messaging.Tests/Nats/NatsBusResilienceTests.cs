using System.Text;
using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.Messaging.Tests.Nats;

/// <summary>Outages against a real nats-server that is killed and restarted on the same port.</summary>
public sealed class NatsBusResilienceTests
{
    private static NatsBusOptions FastReconnect(string url) => new()
    {
        Url = url,
        ReconnectWait = TimeSpan.FromMilliseconds(20),
        ReconnectWaitMax = TimeSpan.FromMilliseconds(200),
    };

    [Fact]
    public async Task Server_restart_mid_stream_resumes_subscriptions_and_delivers_publishes_made_during_the_outage()
    {
        await using var server = await NatsServer.StartAsync();
        await using var bus = await NatsBus.ConnectAsync(FastReconnect(server.Url));
        var states = new List<BusConnectionState>();
        bus.StateChanged += (_, state) => { lock (states) { states.Add(state); } };
        await using var subscription = await bus.SubscribeAsync("stream.data");
        await using var responder = await bus.SubscribeAsync("stream.echo");
        var serving = Task.Run(async () =>
        {
            await foreach (var request in responder.ReadAllAsync())
            {
                await bus.PublishAsync(request.ReplyTo!, request.Payload);
            }
        });
        for (var i = 0; i < 100; i++)
        {
            await bus.PublishAsync("stream.data", BitConverter.GetBytes(i));
        }

        Assert.Equal(100, (await subscription.ReadAsync(100)).Count);

        await server.KillAsync();
        await SubscriptionReading.WaitUntilAsync(() => bus.State == BusConnectionState.Reconnecting, "the bus notices the outage");
        for (var i = 100; i < 200; i++)
        {
            await bus.PublishAsync("stream.data", BitConverter.GetBytes(i));
        }

        await server.RestartAsync();
        var resumed = await subscription.ReadAsync(100);

        Assert.Equal(Enumerable.Range(100, 100), resumed.Select(message => BitConverter.ToInt32(message.Payload.Span)));
        Assert.Equal(BusConnectionState.Connected, bus.State);
        var reply = await bus.RequestAsync("stream.echo", "after restart"u8.ToArray(), TimeSpan.FromSeconds(5));
        Assert.Equal("after restart", Encoding.UTF8.GetString(reply.Payload.Span));
        lock (states)
        {
            Assert.Equal([BusConnectionState.Reconnecting, BusConnectionState.Connected], states);
        }

        await responder.UnsubscribeAsync();
        await serving;
    }

    [Fact]
    public async Task Publishes_beyond_the_reconnect_buffer_are_refused_and_every_accepted_one_is_delivered()
    {
        await using var server = await NatsServer.StartAsync();
        await using var bus = await NatsBus.ConnectAsync(FastReconnect(server.Url) with { ReconnectBufferSize = 16 * 1024 });
        await using var subscription = await bus.SubscribeAsync("outage.data");

        await server.KillAsync();
        await SubscriptionReading.WaitUntilAsync(() => bus.State == BusConnectionState.Reconnecting, "the bus notices the outage");
        var accepted = new List<int>();
        var refused = 0;
        for (var i = 0; i < 40; i++)
        {
            try
            {
                await bus.PublishAsync("outage.data", BitConverter.GetBytes(i).Concat(new byte[1020]).ToArray());
                accepted.Add(i);
            }
            catch (ReconnectBufferFullException error)
            {
                Assert.Equal(16 * 1024, error.Limit);
                refused++;
            }
        }

        await server.RestartAsync();
        var delivered = await subscription.ReadAsync(accepted.Count);

        Assert.Equal(15, accepted.Count); // 15 frames of 1,051 bytes fit in 16 KiB, the 16th does not
        Assert.Equal(Enumerable.Range(0, 15), accepted);
        Assert.Equal(25, refused);
        Assert.Equal(accepted, delivered.Select(message => BitConverter.ToInt32(message.Payload.Span)));
        await bus.FlushAsync();
        Assert.Equal(0, bus.PendingOutboundBytes);
    }

    [Fact]
    public async Task Bus_closes_after_its_reconnect_attempts_are_used_up()
    {
        await using var server = await NatsServer.StartAsync();
        await using var bus = await NatsBus.ConnectAsync(FastReconnect(server.Url) with { MaxReconnectAttempts = 2 });
        await using var silent = await bus.SubscribeAsync("never.answered");
        var pending = bus.RequestAsync("never.answered", "x"u8.ToArray(), TimeSpan.FromSeconds(30)).AsTask();

        await server.KillAsync();
        await SubscriptionReading.WaitUntilAsync(() => bus.State == BusConnectionState.Closed, "the bus gives up");

        await Assert.ThrowsAsync<BusClosedException>(() => pending);
        await Assert.ThrowsAsync<BusClosedException>(async () => await bus.PublishAsync("x", "y"u8.ToArray()));
    }
}
