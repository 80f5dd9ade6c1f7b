namespace LlmServe.Messaging.Tests.Fixtures;

/// <summary>
/// Shared nats-server processes for a test class: one with defaults, one whose max_payload is
/// <see cref="SmallMaxPayload"/> (set through a config file, as an operator would).
/// </summary>
public sealed class NatsServerFixture : IAsyncLifetime
{
    public const int SmallMaxPayload = 1024;

    public NatsServer Server { get; private set; } = null!;

    public NatsServer SmallPayloadServer { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await NatsServer.StartAsync();
        SmallPayloadServer = await NatsServer.StartAsync(NatsServer.ConfigArgs($"max_payload: {SmallMaxPayload}\n"));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await SmallPayloadServer.DisposeAsync();
    }
}
