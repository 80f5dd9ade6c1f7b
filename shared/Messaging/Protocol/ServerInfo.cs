using System.Text.Json.Serialization;

namespace LlmServe.Messaging.Protocol;

/// <summary>The server's INFO: what the client needs from it to connect and to size publishes.</summary>
internal sealed record ServerInfo
{
    [JsonPropertyName("server_id")]
    public string? ServerId { get; init; }

    [JsonPropertyName("server_name")]
    public string? ServerName { get; init; }

    [JsonPropertyName("version")]
    public string? Version { get; init; }

    [JsonPropertyName("proto")]
    public int Proto { get; init; }

    [JsonPropertyName("headers")]
    public bool Headers { get; init; }

    [JsonPropertyName("max_payload")]
    public int MaxPayload { get; init; } = 1024 * 1024;

    [JsonPropertyName("auth_required")]
    public bool AuthRequired { get; init; }

    [JsonPropertyName("tls_required")]
    public bool TlsRequired { get; init; }

    [JsonPropertyName("tls_available")]
    public bool TlsAvailable { get; init; }

    [JsonPropertyName("client_id")]
    public ulong ClientId { get; init; }

    [JsonPropertyName("connect_urls")]
    public IReadOnlyList<string>? ConnectUrls { get; init; }

    /// <summary>Lame duck mode: the server is about to shut down and asks clients to move.</summary>
    [JsonPropertyName("ldm")]
    public bool LameDuckMode { get; init; }
}
