using System.Net.Sockets;

using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.Messaging.Tests.Connection;

/// <summary>
/// The fixture every integration test stands on: a server counts as started only when its own process says it is
/// ready, so two tests can never end up sharing one bus because they picked the same port.
/// </summary>
public sealed class NatsServerFixtureTests
{
    [Fact]
    public async Task A_server_whose_port_is_taken_fails_instead_of_borrowing_the_other_server()
    {
        await using var first = await NatsServer.StartAsync();

        var error = await Assert.ThrowsAsync<PortTakenException>(() => NatsServer.StartOnPortAsync(first.Port));

        Assert.Contains(first.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.True(first.IsRunning);
    }

    [Fact]
    public async Task Started_servers_accept_connections_on_distinct_ports()
    {
        var servers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => NatsServer.StartAsync()));
        try
        {
            Assert.Equal(4, servers.Select(s => s.Port).Distinct().Count());
            foreach (var server in servers)
            {
                using var client = new TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, server.Port, TestContext.Current.CancellationToken);
                Assert.True(client.Connected);
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }
}
