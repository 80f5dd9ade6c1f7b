using System.Net;
using System.Text.Json;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Health;
using LlmServe.Gateway.Tests.Infrastructure;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.Tests.Health;

/// <summary>
/// <see cref="ServiceHeartbeatListener"/> over an <see cref="InProcessBus"/> feeding <see cref="ServiceInstanceRegistry"/>
/// on a hand-moved clock: several instances, stale after three silent intervals, dropped after the retention.
/// </summary>
public sealed class ServiceHeartbeatListenerTests : IAsyncLifetime
{
    private const string Model = "org/model.v1";
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(30);

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InProcessBus _bus = new(new InProcessBusOptions());
    private ServiceInstanceRegistry _registry = null!;
    private ServiceHeartbeatListener _listener = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var options = Options.Create(new GatewayOptions { ServiceHeartbeatRetention = TimeSpan.FromSeconds(60) });
        _registry = new ServiceInstanceRegistry(options, _clock);
        _listener = new ServiceHeartbeatListener(_bus, _registry, NullLogger<ServiceHeartbeatListener>.Instance);
        await _listener.StartAsync(Ct);

        // The subscription starts in the background: repeat a probe until it arrives, then send a fence once and
        // wait for it (one subscription delivers in order, so no probe copy is left in flight), then let the probe
        // age out. From here on every heartbeat is published exactly once.
        var probe = Heartbeat("probe", "probe");
        var deadline = DateTime.UtcNow + Liveness;
        while (!_registry.Snapshot().Any(h => h.Heartbeat.InstanceId == "probe"))
        {
            Assert.True(DateTime.UtcNow < deadline, "The listener did not subscribe.");
            await PublishAsync(probe);
            await Task.Delay(20, Ct);
        }
        var fence = Heartbeat("probe", "probe");
        fence.UnixMs = -1;
        await DeliverAsync(fence);
        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Empty(_registry.Snapshot());
    }

    public async ValueTask DisposeAsync()
    {
        await _listener.StopAsync(CancellationToken.None);
        _listener.Dispose();
        await _bus.DisposeAsync();
    }

    private static ServiceHeartbeat Heartbeat(string service, string instance, int shard = 0, int shardCount = 0, int intervalMs = 2000) => new()
    {
        Service = service,
        InstanceId = instance,
        Model = Model,
        Shard = shard,
        ShardCount = shardCount,
        IntervalMs = intervalMs,
        UnixMs = 1,
        StartedUnixMs = 1,
    };

    private async Task PublishAsync(ServiceHeartbeat heartbeat)
    {
        await _bus.PublishAsync(Subjects.Heartbeat(heartbeat.Service, heartbeat.Model), heartbeat.ToByteArray(), cancellationToken: Ct);
        await _bus.FlushAsync(Ct);
    }

    /// <summary>Publishes <paramref name="heartbeat"/> once and waits until the registry has taken it.</summary>
    private async Task DeliverAsync(ServiceHeartbeat heartbeat)
    {
        var deadline = DateTime.UtcNow + Liveness;
        await PublishAsync(heartbeat);
        while (DateTime.UtcNow < deadline)
        {
            if (_registry.Snapshot().Any(h => h.Heartbeat.Equals(heartbeat)))
            {
                return;
            }
            await Task.Delay(20, Ct);
        }
        Assert.Fail($"The registry did not take the heartbeat of {heartbeat.InstanceId}.");
    }

    [Fact]
    public async Task Several_instances_are_listed_in_order_and_healthy_while_they_beat()
    {
        await DeliverAsync(Heartbeat(ServiceKinds.Tokenizer, "tok-b"));
        await DeliverAsync(Heartbeat(ServiceKinds.Detokenizer, "detok-1", shard: 1, shardCount: 2));
        await DeliverAsync(Heartbeat(ServiceKinds.Tokenizer, "tok-a"));
        await DeliverAsync(Heartbeat(ServiceKinds.Detokenizer, "detok-0", shard: 0, shardCount: 2));

        var snapshot = _registry.Snapshot();
        Assert.Equal(["detok-0", "detok-1", "tok-a", "tok-b"], snapshot.Select(h => h.Heartbeat.InstanceId));
        Assert.All(snapshot, h => Assert.True(h.Healthy, h.Heartbeat.InstanceId));
        Assert.Equal([0, 1], snapshot.Where(h => h.Heartbeat.Service == ServiceKinds.Detokenizer).Select(h => h.Heartbeat.Shard));
    }

    [Fact]
    public async Task An_instance_silent_for_more_than_three_intervals_is_stale_with_its_age_and_heals_when_it_beats_again()
    {
        await DeliverAsync(Heartbeat(ServiceKinds.Tokenizer, "quiet", intervalMs: 1000));
        await DeliverAsync(Heartbeat(ServiceKinds.Detokenizer, "slow", intervalMs: 5000));

        _clock.Advance(TimeSpan.FromMilliseconds(3000));
        Assert.All(_registry.Snapshot(), h => Assert.True(h.Healthy, h.Heartbeat.InstanceId));

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var snapshot = _registry.Snapshot().ToDictionary(h => h.Heartbeat.InstanceId);
        Assert.False(snapshot["quiet"].Healthy);
        Assert.Equal(3001, snapshot["quiet"].AgeMs);
        // Staleness is measured in the sender's own interval: 3 s of silence is not yet 3 intervals of 5 s.
        Assert.True(snapshot["slow"].Healthy);

        var again = Heartbeat(ServiceKinds.Tokenizer, "quiet", intervalMs: 1000);
        again.UnixMs = 2;
        await DeliverAsync(again);
        var healed = Assert.Single(_registry.Snapshot(), h => h.Heartbeat.InstanceId == "quiet");
        Assert.True(healed.Healthy);
        Assert.Equal(0, healed.AgeMs);
    }

    [Fact]
    public async Task An_instance_silent_past_the_retention_is_dropped_while_others_stay()
    {
        await DeliverAsync(Heartbeat(ServiceKinds.Tokenizer, "gone"));
        _clock.Advance(TimeSpan.FromSeconds(40));
        await DeliverAsync(Heartbeat(ServiceKinds.Tokenizer, "alive"));

        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(["alive", "gone"], _registry.Snapshot().Select(h => h.Heartbeat.InstanceId));

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var left = Assert.Single(_registry.Snapshot());
        Assert.Equal("alive", left.Heartbeat.InstanceId);
        Assert.False(left.Healthy);
    }

    [Fact]
    public async Task A_malformed_heartbeat_is_ignored_and_the_listener_keeps_going()
    {
        await _bus.PublishAsync(Subjects.Heartbeat(ServiceKinds.Tokenizer, Model), new byte[] { 0xFF, 0xFF, 0xFF }, cancellationToken: Ct);
        await DeliverAsync(Heartbeat(ServiceKinds.Tokenizer, "after-garbage"));
        Assert.Equal("after-garbage", Assert.Single(_registry.Snapshot()).Heartbeat.InstanceId);
    }

    [Fact]
    public async Task Console_stats_list_the_instances_under_services()
    {
        await using var host = await GatewayHost.StartAsync();
        var heartbeat = Heartbeat(ServiceKinds.Detokenizer, "detok-7", shard: 1, shardCount: 3);
        var deadline = DateTime.UtcNow + Liveness;
        JsonElement? found = null;
        while (found is null && DateTime.UtcNow < deadline)
        {
            await host.Bus.PublishAsync(Subjects.Heartbeat(heartbeat.Service, heartbeat.Model), heartbeat.ToByteArray(), cancellationToken: Ct);
            using var response = await host.Client.GetAsync("console/api/stats", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            found = json.RootElement.GetProperty("services").EnumerateArray()
                .Where(s => s.GetProperty("instance").GetString() == "detok-7").Select(s => (JsonElement?)s.Clone()).FirstOrDefault();
            await Task.Delay(50, Ct);
        }
        Assert.NotNull(found);
        var s = found.Value;
        Assert.Equal("detokenizer", s.GetProperty("service").GetString());
        Assert.Equal(Model, s.GetProperty("model").GetString());
        Assert.Equal(1, s.GetProperty("shard").GetInt32());
        Assert.Equal(3, s.GetProperty("shard_count").GetInt32());
        Assert.Equal("healthy", s.GetProperty("health").GetString());
        Assert.True(s.GetProperty("healthy").GetBoolean());
        Assert.True(s.GetProperty("report_age_ms").GetInt64() >= 0);
    }
}
