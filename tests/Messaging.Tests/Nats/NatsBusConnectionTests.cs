using System.Net.Sockets;
using System.Text;
using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.Messaging.Tests.Nats;

/// <summary>Authentication against a real nats-server, and a scripted peer for what a real server will not do.</summary>
public sealed class NatsBusConnectionTests
{
    [Fact]
    public async Task User_and_password_from_the_url_or_the_options_are_accepted()
    {
        await using var server = await NatsServer.StartAsync("--user", "alice", "--pass", "s3cret");
        var url = $"nats://alice:s3cret@127.0.0.1:{server.Port}";

        await using var fromUrl = await NatsBus.ConnectAsync(new NatsBusOptions { Url = url });
        await using var fromOptions = await NatsBus.ConnectAsync(new NatsBusOptions { Url = server.Url, User = "alice", Password = "s3cret" });
        await using var subscription = await fromUrl.SubscribeAsync("auth.ok");
        await fromOptions.PublishAsync("auth.ok", "in"u8.ToArray());

        Assert.Equal("in", Encoding.UTF8.GetString((await subscription.ReadAsync(1))[0].Payload.Span));
        Assert.Equal(BusConnectionState.Connected, fromOptions.State);
    }

    [Fact]
    public async Task Wrong_or_missing_credentials_fail_with_an_authorization_exception()
    {
        await using var server = await NatsServer.StartAsync("--user", "alice", "--pass", "s3cret");

        var wrong = await Assert.ThrowsAsync<BusAuthorizationException>(() =>
            NatsBus.ConnectAsync(new NatsBusOptions { Url = server.Url, User = "alice", Password = "nope" }));
        await Assert.ThrowsAsync<BusAuthorizationException>(() => NatsBus.ConnectAsync(new NatsBusOptions { Url = server.Url }));

        Assert.Contains("Authorization Violation", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_authentication_works()
    {
        await using var server = await NatsServer.StartAsync("--auth", "t0ken");

        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = $"nats://t0ken@127.0.0.1:{server.Port}" });
        await Assert.ThrowsAsync<BusAuthorizationException>(() =>
            NatsBus.ConnectAsync(new NatsBusOptions { Url = server.Url, Token = "wrong" }));

        Assert.Equal(BusConnectionState.Connected, bus.State);
    }

    [Fact]
    public async Task Unreachable_server_fails_with_a_connection_exception()
    {
        using var fake = new FakeNatsServer();
        var url = fake.Url;
        fake.Dispose();

        await Assert.ThrowsAsync<BusConnectionException>(() =>
            NatsBus.ConnectAsync(new NatsBusOptions { Url = url, ConnectTimeout = TimeSpan.FromSeconds(2) }));
    }

    [Fact]
    public async Task Garbage_instead_of_info_fails_the_connect_with_a_protocol_error()
    {
        using var fake = new FakeNatsServer();
        var connecting = NatsBus.ConnectAsync(new NatsBusOptions { Url = fake.Url });
        var socket = await fake.AcceptAsync();
        await FakeNatsServer.SendAsync(socket, "HELLO WORLD\r\n");

        var error = await Assert.ThrowsAsync<BusConnectionException>(() => connecting);
        Assert.IsType<BusProtocolException>(Assert.IsType<AggregateException>(error.InnerException).InnerExceptions[0]);
    }

    [Fact]
    public async Task Garbage_after_connecting_closes_the_connection_cleanly()
    {
        using var fake = new FakeNatsServer();
        var connecting = NatsBus.ConnectAsync(new NatsBusOptions { Url = fake.Url, MaxReconnectAttempts = 0 });
        var socket = await fake.AcceptAndHandshakeAsync();
        await using var bus = await connecting;
        var pending = bus.RequestAsync("some.service", "x"u8.ToArray(), TimeSpan.FromSeconds(30)).AsTask();
        var subscribing = bus.SubscribeAsync("some.data").AsTask();
        await FakeNatsServer.ReadUntilAsync(socket, "PING\r\n");
        await FakeNatsServer.SendAsync(socket, "PONG\r\n");
        await using var subscription = await subscribing;

        await FakeNatsServer.SendAsync(socket, "MSG some.data 2 5\r\nhello\r\n\x01\x02garbage that is not protocol\r\n");

        Assert.Equal("hello", Encoding.UTF8.GetString((await subscription.ReadAsync(1))[0].Payload.Span));
        await SubscriptionReading.WaitUntilAsync(() => bus.State == BusConnectionState.Closed, "the bus closes");
        await Assert.ThrowsAsync<BusClosedException>(() => pending);
        Assert.Empty(await subscription.ReadToEndAsync());
    }

    [Fact]
    public async Task Unanswered_pings_mark_the_connection_stale_and_trigger_a_reconnect()
    {
        using var fake = new FakeNatsServer();
        var connecting = NatsBus.ConnectAsync(new NatsBusOptions
        {
            Url = fake.Url,
            PingInterval = TimeSpan.FromMilliseconds(50),
            MaxPingsOut = 2,
            ReconnectWait = TimeSpan.FromMilliseconds(20),
        });
        var first = await fake.AcceptAndHandshakeAsync();
        await using var bus = await connecting;

        // The fake never answers keep-alive PINGs; the client must give up on this connection and dial again.
        var second = await fake.AcceptAndHandshakeAsync();
        await SubscriptionReading.WaitUntilAsync(() => bus.State == BusConnectionState.Connected, "the bus reconnects");
        Assert.NotSame(first, second);
    }

    [Fact]
    public async Task Server_pings_are_answered_with_pongs()
    {
        using var fake = new FakeNatsServer();
        var connecting = NatsBus.ConnectAsync(new NatsBusOptions { Url = fake.Url });
        var socket = await fake.AcceptAndHandshakeAsync();
        await using var bus = await connecting;

        await FakeNatsServer.SendAsync(socket, "PING\r\n");

        Assert.Contains("PONG\r\n", await FakeNatsServer.ReadUntilAsync(socket, "PONG\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_stops_reading_makes_publishers_wait_instead_of_growing_the_buffer()
    {
        const int Limit = 64 * 1024;
        using var fake = new FakeNatsServer();
        var connecting = NatsBus.ConnectAsync(new NatsBusOptions { Url = fake.Url, OutboundBufferSize = Limit });
        var socket = await fake.AcceptAndHandshakeAsync();
        socket.ReceiveBufferSize = 4096;
        await using var bus = await connecting;
        var payload = new byte[16 * 1024];

        // Kernel socket buffers absorb some megabytes first; after that the bounded buffer must push back,
        // so some publish ends up waiting for good (a publish that waits briefly just met a busy writer).
        Task? stuck = null;
        for (var i = 0; i < 20_000 && stuck is null; i++)
        {
            var publish = bus.PublishAsync("flood", payload);
            if (!publish.IsCompleted)
            {
                var task = publish.AsTask();
                if (await Task.WhenAny(task, Task.Delay(300)) != task)
                {
                    stuck = task;
                }
            }
        }

        Assert.NotNull(stuck);
        Assert.Equal(BusConnectionState.Connected, bus.State);
        Assert.InRange(bus.PendingOutboundBytes, 1, Limit + payload.Length + 64);

        await bus.DisposeAsync();
        await Assert.ThrowsAsync<BusClosedException>(() => stuck);
    }
}
