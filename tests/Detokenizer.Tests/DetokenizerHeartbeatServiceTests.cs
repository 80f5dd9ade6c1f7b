using System.ComponentModel.DataAnnotations;
using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmServe.Detokenizer.Tests;

/// <summary><see cref="DetokenizerHeartbeatService"/> over an <see cref="InProcessBus"/>, and its interval's validation.</summary>
public sealed class DetokenizerHeartbeatServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DetokenizerOptions Options(TimeSpan interval) =>
        new() { Model = "org/tiny.v1", ModelDirectory = "/models/tiny", Shard = 1, ShardCount = 3, HeartbeatInterval = interval };

    // The loop itself (start + every interval, one instance id, distinct ids) is ServiceHeartbeatPublisher's, tested
    // through the tokenizer's subclass; here: what the detokenizer adds, its kind and shard.
    [Fact]
    public async Task The_heartbeat_names_the_detokenizer_its_model_and_its_shard()
    {
        await using var bus = new InProcessBus(new InProcessBusOptions());
        var settings = Options(TimeSpan.FromMilliseconds(100));
        await using var heartbeats = await bus.SubscribeAsync(Subjects.Heartbeat(ServiceKinds.Detokenizer, settings.Model), cancellationToken: Ct);
        using var service = new DetokenizerHeartbeatService(bus, Microsoft.Extensions.Options.Options.Create(settings), TimeProvider.System,
            NullLogger<DetokenizerHeartbeatService>.Instance);
        await service.StartAsync(Ct);
        using var liveness = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        liveness.CancelAfter(TimeSpan.FromSeconds(30));
        ServiceHeartbeat? first = null;
        await foreach (var message in heartbeats.ReadAllAsync(liveness.Token))
        {
            first = ServiceHeartbeat.Parser.ParseFrom(message.Payload.Span);
            break;
        }
        Assert.NotNull(first);
        await service.StopAsync(CancellationToken.None);

        Assert.Equal(ServiceKinds.Detokenizer, first.Service);
        Assert.Equal(service.InstanceId, first.InstanceId);
        Assert.StartsWith(ServiceKinds.Detokenizer, first.InstanceId, StringComparison.Ordinal);
        Assert.Equal(settings.Model, first.Model);
        Assert.Equal(100, first.IntervalMs);
        Assert.Equal(1, first.Shard);
        Assert.Equal(3, first.ShardCount);
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
    public void Default_interval_is_two_seconds() => Assert.Equal(TimeSpan.FromSeconds(2), new DetokenizerOptions().HeartbeatInterval);
}
