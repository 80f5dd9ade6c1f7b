using System.ComponentModel.DataAnnotations;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmServe.Tokenizer.Tests;

/// <summary><see cref="TokenizerHeartbeatService"/> over an <see cref="InProcessBus"/>, and its interval's validation.</summary>
public sealed class TokenizerHeartbeatServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TokenizerServiceOptions Options(TimeSpan interval) =>
        new() { Model = "org/tiny.v1", ModelDirectory = "/models/tiny", HeartbeatInterval = interval };

    [Fact]
    public async Task Publishes_at_start_and_then_every_interval_under_one_instance_id()
    {
        await using var bus = new InProcessBus(new InProcessBusOptions());
        var settings = Options(TimeSpan.FromMilliseconds(100));
        await using var heartbeats = await bus.SubscribeAsync(Subjects.Heartbeat(ServiceKinds.Tokenizer, settings.Model), cancellationToken: Ct);
        using var service = new TokenizerHeartbeatService(bus, Microsoft.Extensions.Options.Options.Create(settings), TimeProvider.System,
            NullLogger<TokenizerHeartbeatService>.Instance);
        await service.StartAsync(Ct);

        using var liveness = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        liveness.CancelAfter(TimeSpan.FromSeconds(30));
        var received = new List<ServiceHeartbeat>();
        await foreach (var message in heartbeats.ReadAllAsync(liveness.Token))
        {
            received.Add(ServiceHeartbeat.Parser.ParseFrom(message.Payload.Span));
            if (received.Count == 3)
            {
                break;
            }
        }
        await service.StopAsync(CancellationToken.None);

        Assert.All(received, h =>
        {
            Assert.Equal(ServiceKinds.Tokenizer, h.Service);
            Assert.Equal(settings.Model, h.Model);
            Assert.Equal(100, h.IntervalMs);
            Assert.Equal(0, h.ShardCount);
            Assert.True(h.UnixMs >= h.StartedUnixMs);
        });
        Assert.Single(received.Select(h => h.InstanceId).Distinct());
        Assert.Single(received.Select(h => h.StartedUnixMs).Distinct());
        Assert.Equal(received.Select(h => h.UnixMs).Order(), received.Select(h => h.UnixMs));
    }

    [Fact]
    public async Task Two_service_instances_have_different_instance_ids()
    {
        await using var bus = new InProcessBus(new InProcessBusOptions());
        var options = Microsoft.Extensions.Options.Options.Create(Options(TimeSpan.FromSeconds(2)));
        using var a = new TokenizerHeartbeatService(bus, options, TimeProvider.System, NullLogger<TokenizerHeartbeatService>.Instance);
        using var b = new TokenizerHeartbeatService(bus, options, TimeProvider.System, NullLogger<TokenizerHeartbeatService>.Instance);
        Assert.NotEqual(a.InstanceId, b.InstanceId);
        Assert.StartsWith(ServiceKinds.Tokenizer, a.InstanceId, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.01, false)]
    [InlineData(2.0, true)]
    [InlineData(3600.0, false)]
    public void Heartbeat_interval_is_validated(double seconds, bool valid)
    {
        var options = Options(TimeSpan.FromSeconds(seconds));
        bool ok = Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true);
        Assert.Equal(valid, ok);
    }

    [Fact]
    public void Default_interval_is_two_seconds() => Assert.Equal(TimeSpan.FromSeconds(2), new TokenizerServiceOptions().HeartbeatInterval);
}
