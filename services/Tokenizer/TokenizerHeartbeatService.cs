using LlmServe.Contracts;
using LlmServe.Hosting;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Tokenizer;

/// <summary>This tokenizer replica's heartbeat (see <see cref="ServiceHeartbeatPublisher"/>).</summary>
internal sealed class TokenizerHeartbeatService(
    IMessageBus bus,
    IOptions<TokenizerServiceOptions> options,
    TimeProvider clock,
    ILogger<TokenizerHeartbeatService> logger) : ServiceHeartbeatPublisher(bus, clock, logger, ServiceKinds.Tokenizer)
{
    protected override string Model => options.Value.Model;

    protected override TimeSpan Interval => options.Value.HeartbeatInterval;
}
