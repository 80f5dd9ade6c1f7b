using LlmServe.Messaging.Hosting;
using LlmServe.Messaging.Tests.Fixtures;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LlmServe.Messaging.Tests.Hosting;

public sealed class AddMessageBusTests
{
    [Fact]
    public async Task Without_a_url_the_in_process_bus_is_registered()
    {
        using var host = BuildHost(new Dictionary<string, string?> { ["Messaging:InProcessMaxPayload"] = "2048" });
        await host.StartAsync();

        var bus = host.Services.GetRequiredService<IMessageBus>();

        Assert.IsType<InProcessBus>(bus);
        Assert.Equal(2048, bus.MaxPayload);
        await host.StopAsync();
        Assert.Equal(BusConnectionState.Closed, bus.State);
    }

    [Fact]
    public async Task With_a_url_the_nats_bus_is_registered_and_connected_at_start()
    {
        await using var server = await NatsServer.StartAsync();
        using var host = BuildHost(new Dictionary<string, string?> { ["Messaging:Url"] = server.Url, ["Messaging:Name"] = "di-test" });
        await host.StartAsync();

        var bus = host.Services.GetRequiredService<IMessageBus>();

        Assert.IsType<NatsBus>(bus);
        Assert.Equal(BusConnectionState.Connected, bus.State);
        await host.StopAsync();
        Assert.Equal(BusConnectionState.Closed, bus.State);
    }

    [Fact]
    public async Task Invalid_options_fail_the_host_at_start()
    {
        using var host = BuildHost(new Dictionary<string, string?> { ["Messaging:Url"] = "http://wrong:1", });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("scheme", error.Message, StringComparison.Ordinal);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddMessageBus(builder.Configuration);
        return builder.Build();
    }
}
