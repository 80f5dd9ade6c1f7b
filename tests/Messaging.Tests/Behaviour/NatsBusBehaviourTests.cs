using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.Messaging.Tests.Behaviour;

/// <summary>The shared behaviour against a real nats-server (each client is its own TCP connection).</summary>
public sealed class NatsBusBehaviourTests(NatsServerFixture fixture) : MessageBusBehaviourTests, IClassFixture<NatsServerFixture>
{
    protected override async Task<IMessageBus> CreateClientAsync() =>
        await NatsBus.ConnectAsync(new NatsBusOptions { Url = fixture.Server.Url, Name = "behaviour-test" });

    protected override async Task<IMessageBus> CreateSmallPayloadClientAsync() =>
        await NatsBus.ConnectAsync(new NatsBusOptions { Url = fixture.SmallPayloadServer.Url });
}
