using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using LlmServe.Messaging.Connection;

namespace LlmServe.Messaging;

/// <summary>Settings for <see cref="NatsBus"/>. Immutable; validated once when the bus connects.</summary>
public sealed record NatsBusOptions
{
    /// <summary>
    /// Server URL, or several separated by commas: <c>nats://[user:pass@|token@]host[:port]</c>, or
    /// <c>tls://host:port</c> to require TLS. The default port is 4222.
    /// </summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>Connection name shown by the server's monitoring.</summary>
    public string? Name { get; init; }

    /// <summary>Auth token; overrides one given in the URL.</summary>
    public string? Token { get; init; }

    /// <summary>User name; overrides one given in the URL.</summary>
    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>
    /// Prefix of this connection's request inbox (<c>PREFIX.&lt;nuid&gt;.*</c>). Null: <c>_INBOX.&lt;User&gt;</c> when a
    /// plain user name is set, so server permissions can confine each user's inbox, else <c>_INBOX</c>.
    /// </summary>
    public string? InboxPrefix { get; init; }

    /// <summary>The inbox prefix in effect (see <see cref="InboxPrefix"/>).</summary>
    public string EffectiveInboxPrefix =>
        InboxPrefix ?? (User is { Length: > 0 } user && user.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? "_INBOX." + user : "_INBOX");

    /// <summary>How often the client PINGs the server to detect a dead connection.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unanswered PINGs after which the connection is declared stale and reconnected.</summary>
    public int MaxPingsOut { get; init; } = 2;

    /// <summary>First delay between reconnect attempts; it grows exponentially (with jitter) up to <see cref="ReconnectWaitMax"/>.</summary>
    public TimeSpan ReconnectWait { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between reconnect attempts: it bounds how long after a server's return a client is back.</summary>
    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Reconnect attempts before the bus gives up and closes; -1 retries forever, 0 never reconnects.</summary>
    public int MaxReconnectAttempts { get; init; } = -1;

    /// <summary>
    /// Bytes of serialized frames that may wait for the socket while connected. When full,
    /// <see cref="IMessageBus.PublishAsync"/> waits (back-pressure) instead of growing the buffer.
    /// </summary>
    public int OutboundBufferSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// Bytes of publishes kept while disconnected (including frames still unsent from before the
    /// disconnect) and sent after reconnecting. Beyond it <see cref="IMessageBus.PublishAsync"/> throws
    /// <see cref="ReconnectBufferFullException"/>: a message is either buffered or refused, never dropped silently.
    /// </summary>
    public int ReconnectBufferSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// How long the first <see cref="NatsBus.ConnectAsync(CancellationToken)"/> keeps retrying (with the reconnect
    /// back-off) while no server is reachable, e.g. a service that starts before nats-server. Zero tries each server
    /// once. Refused credentials are never retried.
    /// </summary>
    public TimeSpan InitialConnectTimeout { get; init; } = TimeSpan.Zero;

    /// <summary>Time allowed for TCP connect, TLS handshake, INFO and the CONNECT/PING/PONG exchange.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long <see cref="IMessageBus.DrainAsync"/> waits for subscribers to consume what they hold.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public NatsTlsMode TlsMode { get; init; } = NatsTlsMode.Auto;

    /// <summary>Name the server certificate must carry; defaults to the URL's host.</summary>
    public string? TlsHost { get; init; }

    public X509CertificateCollection? TlsClientCertificates { get; init; }

    /// <summary>Custom server-certificate check (e.g. to trust a private CA); null uses the system's validation.</summary>
    public RemoteCertificateValidationCallback? TlsCertificateValidation { get; init; }

    /// <summary>Checks every setting and parses the URLs; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    internal IReadOnlyList<NatsServerAddress> Validate()
    {
        Require(PingInterval > TimeSpan.Zero, nameof(PingInterval), "must be positive");
        Require(MaxPingsOut >= 1, nameof(MaxPingsOut), "must be at least 1");
        Require(ReconnectWait >= TimeSpan.Zero, nameof(ReconnectWait), "must not be negative");
        Require(ReconnectWaitMax >= ReconnectWait, nameof(ReconnectWaitMax), "must not be below ReconnectWait");
        Require(MaxReconnectAttempts >= -1, nameof(MaxReconnectAttempts), "must be -1 (forever) or more");
        Require(OutboundBufferSize >= 64 * 1024, nameof(OutboundBufferSize), "must be at least 64 KiB");
        Require(ReconnectBufferSize >= 0, nameof(ReconnectBufferSize), "must not be negative");
        Require(ConnectTimeout > TimeSpan.Zero, nameof(ConnectTimeout), "must be positive");
        Require(InitialConnectTimeout >= TimeSpan.Zero, nameof(InitialConnectTimeout), "must not be negative");
        Require(DrainTimeout > TimeSpan.Zero, nameof(DrainTimeout), "must be positive");
        Require(Name is null || Name.Length > 0, nameof(Name), "must not be empty");
        Require(Token is null || User is null, nameof(Token), "cannot be combined with User");
        Require(Password is null || User is not null, nameof(Password), "needs a User");
        Require(InboxPrefix is null || (InboxPrefix.Length > 0 && !InboxPrefix.Any(c => c is '*' or '>' or ' ' or '\t' or '\r' or '\n')
            && !InboxPrefix.StartsWith('.') && !InboxPrefix.EndsWith('.')), nameof(InboxPrefix), "must be a subject without wildcards");
        return NatsServerAddress.ParseList(Url, nameof(Url));
    }

    private static void Require(bool condition, string name, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"NatsBusOptions.{name} {problem}.", name);
        }
    }
}
