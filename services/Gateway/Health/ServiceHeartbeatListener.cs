using LlmServe.Contracts;
using LlmServe.Gateway.Bus;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging;

namespace LlmServe.Gateway.Health;

/// <summary>Feeds <see cref="ServiceInstanceRegistry"/> from the heartbeat subjects of every tokenizer and detokenizer.</summary>
internal sealed class ServiceHeartbeatListener(IMessageBus bus, ServiceInstanceRegistry registry, ILogger<ServiceHeartbeatListener> logger)
    : SubjectListener<ServiceHeartbeat>(bus, Subjects.AllHeartbeats, ServiceHeartbeat.Parser, logger)
{
    protected override void Apply(ServiceHeartbeat message) => registry.Record(message);
}
