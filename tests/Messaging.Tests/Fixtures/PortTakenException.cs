namespace LlmServe.Messaging.Tests.Fixtures;

/// <summary>nats-server exited because its port was taken between picking it and listening on it.</summary>
public sealed class PortTakenException(string message) : InvalidOperationException(message);
