using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.Messaging.Tests.Behaviour;

/// <summary>The shared behaviour against <see cref="InProcessBus"/>: every "client" is the same bus.</summary>
public sealed class InProcessBusBehaviourTests : MessageBusBehaviourTests
{
    private readonly InProcessBus bus = new();

    protected override Task<IMessageBus> CreateClientAsync() => Task.FromResult<IMessageBus>(bus);

    protected override Task<IMessageBus> CreateSmallPayloadClientAsync() =>
        Task.FromResult<IMessageBus>(new InProcessBus(new InProcessBusOptions { MaxPayload = NatsServerFixture.SmallMaxPayload }));
}
