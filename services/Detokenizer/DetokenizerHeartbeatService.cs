using LlmServe.Contracts;
using LlmServe.Hosting;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Detokenizer;

/// <summary>This detokenizer shard's heartbeat, with its shard and the shard count (see <see cref="ServiceHeartbeatPublisher"/>).</summary>
internal sealed class DetokenizerHeartbeatService(
    IMessageBus bus,
    IOptions<DetokenizerOptions> options,
    TimeProvider clock,
    ILogger<DetokenizerHeartbeatService> logger) : ServiceHeartbeatPublisher(bus, clock, logger, ServiceKinds.Detokenizer)
{
    protected override string Model => options.Value.Model;

    protected override TimeSpan Interval => options.Value.HeartbeatInterval;

    protected override (int Shard, int ShardCount) Sharding => (options.Value.Shard, options.Value.ShardCount);
}
