using LlmServe.Contracts;

namespace LlmServe.Gateway.Models;

/// <summary>The latest status one scheduler replica reported, and when the gateway received it.</summary>
public sealed record ReplicaSnapshot(SchedulerStatus Status, long ReceivedUnixMs);
