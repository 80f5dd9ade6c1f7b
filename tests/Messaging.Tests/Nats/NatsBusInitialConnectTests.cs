using System.Diagnostics;
using System.Text;
using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.Messaging.Tests.Nats;

/// <summary>A service may start before nats-server: the first connect retries until its deadline, except on refused credentials.</summary>
public sealed class NatsBusInitialConnectTests
{
    [Fact]
    public async Task A_bus_started_before_its_server_connects_once_the_server_is_up()
    {
        await using var server = await NatsServer.StartAsync();
        await server.KillAsync();
        var options = new NatsBusOptions
        {
            Url = server.Url,
            InitialConnectTimeout = TimeSpan.FromSeconds(60),
            ReconnectWait = TimeSpan.FromMilliseconds(50),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(200),
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };
        await using var bus = new NatsBus(options);
        Task connecting = bus.ConnectAsync(TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.False(connecting.IsCompleted); // still retrying: nothing to connect to yet

        await server.RestartAsync();
        await connecting.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(BusConnectionState.Connected, bus.State);
        await using var subscription = await bus.SubscribeAsync("late.start", cancellationToken: TestContext.Current.CancellationToken);
        await bus.PublishAsync("late.start", "up"u8.ToArray(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("up", Encoding.UTF8.GetString((await subscription.ReadAsync(1))[0].Payload.Span));
    }

    [Fact]
    public async Task Refused_credentials_fail_at_once_instead_of_retrying_until_the_deadline()
    {
        await using var server = await NatsServer.StartAsync("--user", "alice", "--pass", "s3cret");
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<BusAuthorizationException>(() => NatsBus.ConnectAsync(new NatsBusOptions
        {
            Url = server.Url,
            User = "alice",
            Password = "nope",
            InitialConnectTimeout = TimeSpan.FromMinutes(5),
        }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"took {clock.Elapsed}: the refused connect was retried");
    }

    [Fact]
    public async Task An_unreachable_server_fails_after_the_deadline_not_before()
    {
        await using var server = await NatsServer.StartAsync();
        await server.KillAsync();
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<BusConnectionException>(() => NatsBus.ConnectAsync(new NatsBusOptions
        {
            Url = server.Url,
            InitialConnectTimeout = TimeSpan.FromSeconds(1.5),
            ReconnectWait = TimeSpan.FromMilliseconds(100),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(300),
        }, cancellationToken: TestContext.Current.CancellationToken));

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.4), $"gave up after {clock.Elapsed}, before the 1.5 s deadline");
    }

    [Fact]
    public void A_negative_initial_connect_timeout_is_rejected_with_its_name()
    {
        var error = Assert.Throws<ArgumentException>(() => new NatsBusOptions { InitialConnectTimeout = TimeSpan.FromSeconds(-1) }.Validate());
        Assert.Contains(nameof(NatsBusOptions.InitialConnectTimeout), error.Message, StringComparison.Ordinal);
    }
}
