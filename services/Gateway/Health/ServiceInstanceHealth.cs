using LlmServe.Contracts;

namespace LlmServe.Gateway.Health;

/// <summary>The latest heartbeat of one tokenizer or detokenizer instance, its age, and whether it is recent enough.</summary>
internal sealed record ServiceInstanceHealth(ServiceHeartbeat Heartbeat, long AgeMs, bool Healthy);
