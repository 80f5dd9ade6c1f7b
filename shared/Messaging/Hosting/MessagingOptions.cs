namespace LlmServe.Messaging.Hosting;

/// <summary>
/// The "Messaging" configuration section. With <see cref="Url"/> set the services talk NATS; without it they
/// share an <see cref="InProcessBus"/> (the all-in-one host and tests).
/// </summary>
public sealed class MessagingOptions
{
    public const string SectionName = "Messaging";

    /// <summary>NATS server URL(s), e.g. <c>nats://user:pass@nats:4222</c>; empty means in-process.</summary>
    public string? Url { get; set; }

    public string? Name { get; set; }

    public string? User { get; set; }

    public string? Password { get; set; }

    public string? Token { get; set; }

    /// <summary>Request inbox prefix; empty = <c>_INBOX.&lt;User&gt;</c> (or <c>_INBOX</c> without a user).</summary>
    public string? InboxPrefix { get; set; }

    /// <summary>
    /// The deployment runs NATS with authentication: refuse to start without credentials (a user and password, a
    /// token, or credentials in <see cref="Url"/>) instead of failing later with an authorization error.
    /// </summary>
    public bool RequireAuth { get; set; }

    /// <summary>True when some credentials are configured: user and password, a token, or user info in the URL.</summary>
    public bool HasCredentials =>
        (!string.IsNullOrEmpty(User) && !string.IsNullOrEmpty(Password))
        || !string.IsNullOrEmpty(Token)
        || (Url ?? string.Empty).Split(',').Any(u => u.Contains('@', StringComparison.Ordinal));

    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    public int MaxPingsOut { get; set; } = 2;

    public TimeSpan ReconnectWait { get; set; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan ReconnectWaitMax { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>-1 retries forever.</summary>
    public int MaxReconnectAttempts { get; set; } = -1;

    public int OutboundBufferSize { get; set; } = 8 * 1024 * 1024;

    public int ReconnectBufferSize { get; set; } = 8 * 1024 * 1024;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a service keeps trying to reach NATS at start-up before it fails (pods and containers may start
    /// before the server is up). Refused credentials fail at once.
    /// </summary>
    public TimeSpan InitialConnectTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Max payload of the in-process bus (a NATS server announces its own).</summary>
    public int InProcessMaxPayload { get; set; } = 1024 * 1024;

    public bool UsesNats => !string.IsNullOrWhiteSpace(Url);

    public NatsBusOptions ToNatsBusOptions() => new()
    {
        Url = Url ?? string.Empty,
        Name = string.IsNullOrEmpty(Name) ? null : Name,
        User = string.IsNullOrEmpty(User) ? null : User,
        Password = string.IsNullOrEmpty(Password) ? null : Password,
        Token = string.IsNullOrEmpty(Token) ? null : Token,
        InboxPrefix = string.IsNullOrEmpty(InboxPrefix) ? null : InboxPrefix,
        PingInterval = PingInterval,
        MaxPingsOut = MaxPingsOut,
        ReconnectWait = ReconnectWait,
        ReconnectWaitMax = ReconnectWaitMax,
        MaxReconnectAttempts = MaxReconnectAttempts,
        OutboundBufferSize = OutboundBufferSize,
        ReconnectBufferSize = ReconnectBufferSize,
        ConnectTimeout = ConnectTimeout,
        InitialConnectTimeout = InitialConnectTimeout,
        DrainTimeout = DrainTimeout,
    };

    public InProcessBusOptions ToInProcessBusOptions() => new() { MaxPayload = InProcessMaxPayload, DrainTimeout = DrainTimeout };
}
