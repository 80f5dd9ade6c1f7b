using Microsoft.Extensions.Hosting;

namespace LlmServe.Messaging.Hosting;

/// <summary>Connects the NATS bus when the host starts and drains whichever bus it is when the host stops.</summary>
internal sealed class MessageBusHostedService(IMessageBus bus) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (bus is NatsBus { State: BusConnectionState.Disconnected } nats)
        {
            await nats.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) =>
        await bus.DrainAsync(cancellationToken).ConfigureAwait(false);
}
