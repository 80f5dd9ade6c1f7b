using LlmServe.Messaging.Connection;

namespace LlmServe.Messaging.Tests.Connection;

public sealed class NatsBusOptionsTests
{
    [Fact]
    public void Urls_carry_host_port_scheme_and_credentials()
    {
        var servers = new NatsBusOptions { Url = "nats://bob:p%40ss@nats-a:4333, tls://nats-b,nats-c:5000" }.Validate();

        Assert.Equal(3, servers.Count);
        Assert.Equal(("nats-a", 4333, false, "bob", "p@ss"), (servers[0].Host, servers[0].Port, servers[0].TlsScheme, servers[0].UrlCredentials.User, servers[0].UrlCredentials.Password));
        Assert.Equal(("nats-b", NatsServerAddress.DefaultPort, true), (servers[1].Host, servers[1].Port, servers[1].TlsScheme));
        Assert.Equal(("nats-c", 5000), (servers[2].Host, servers[2].Port));
    }

    [Fact]
    public void A_token_in_the_url_is_used_when_the_options_give_none()
    {
        var server = new NatsBusOptions { Url = "nats://s3cr3t@localhost:4222" }.Validate()[0];

        Assert.Equal("s3cr3t", Handshake.ResolveCredentials(server, new NatsBusOptions()).Token);
        Assert.Equal("other", Handshake.ResolveCredentials(server, new NatsBusOptions { Token = "other" }).Token);
    }

    [Theory]
    [InlineData("http://host:4222")]
    [InlineData("")]
    [InlineData("nats://host:4222/path")]
    public void Bad_urls_are_rejected(string url) =>
        Assert.Throws<ArgumentException>(() => new NatsBusOptions { Url = url }.Validate());

    [Fact]
    public void Bad_settings_are_rejected_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentException>(() => new NatsBusOptions { OutboundBufferSize = 10 }.Validate());
        Assert.Contains(nameof(NatsBusOptions.OutboundBufferSize), error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new NatsBusOptions { PingInterval = TimeSpan.Zero }.Validate());
        Assert.Throws<ArgumentException>(() => new NatsBusOptions { MaxReconnectAttempts = -2 }.Validate());
        Assert.Throws<ArgumentException>(() => new NatsBusOptions { Token = "t", User = "u" }.Validate());
        Assert.Throws<ArgumentException>(() => new NatsBus(new NatsBusOptions { ReconnectBufferSize = -1 }));
    }
}
