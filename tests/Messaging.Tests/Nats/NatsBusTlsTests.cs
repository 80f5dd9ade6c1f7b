using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.Messaging.Tests.Nats;

/// <summary>TLS against a real nats-server started with a self-signed certificate made by the test.</summary>
public sealed class NatsBusTlsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("nats-tls-").FullName;
    private readonly X509Certificate2 certificate;

    public NatsBusTlsTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem());
    }

    private string CertificatePath => Path.Combine(directory, "server.pem");

    private string KeyPath => Path.Combine(directory, "server-key.pem");

    [Fact]
    public async Task Server_requiring_tls_gets_a_tls_connection_that_carries_messages()
    {
        await using var server = await NatsServer.StartAsync("--tls", "--tlscert", CertificatePath, "--tlskey", KeyPath);
        var options = new NatsBusOptions
        {
            Url = server.Url,
            TlsCertificateValidation = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString(),
        };

        await using var bus = await NatsBus.ConnectAsync(options);
        await using var subscription = await bus.SubscribeAsync("tls.data");
        await bus.PublishAsync("tls.data", "secret"u8.ToArray());

        Assert.Equal("secret", Encoding.UTF8.GetString((await subscription.ReadAsync(1))[0].Payload.Span));
    }

    [Fact]
    public async Task Untrusted_certificate_or_disabled_tls_fails_to_connect()
    {
        await using var server = await NatsServer.StartAsync("--tls", "--tlscert", CertificatePath, "--tlskey", KeyPath);

        await Assert.ThrowsAsync<BusConnectionException>(() => NatsBus.ConnectAsync(new NatsBusOptions { Url = server.Url }));
        await Assert.ThrowsAsync<BusConnectionException>(() =>
            NatsBus.ConnectAsync(new NatsBusOptions { Url = server.Url, TlsMode = NatsTlsMode.Disable }));
    }

    [Fact]
    public async Task Requiring_tls_from_a_plain_server_fails_to_connect()
    {
        await using var server = await NatsServer.StartAsync();

        await Assert.ThrowsAsync<BusConnectionException>(() =>
            NatsBus.ConnectAsync(new NatsBusOptions { Url = server.Url, TlsMode = NatsTlsMode.Require }));
    }

    public void Dispose()
    {
        certificate.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
