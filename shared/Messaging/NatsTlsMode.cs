namespace LlmServe.Messaging;

/// <summary>When <see cref="NatsBus"/> wraps the connection in TLS.</summary>
public enum NatsTlsMode
{
    /// <summary>Use TLS when the server's INFO says tls_required, or the URL scheme is tls://.</summary>
    Auto,

    /// <summary>Always use TLS; fail to connect to a server that does not offer it.</summary>
    Require,

    /// <summary>Never use TLS; fail to connect to a server that requires it.</summary>
    Disable,
}
