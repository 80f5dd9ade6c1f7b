namespace LlmServe.Messaging;

/// <summary>NATS message headers (NATS/1.0 block): multi-valued, case-sensitive keys, plus an optional status code.</summary>
public sealed class MessageHeaders : Dictionary<string, string[]>
{
    public MessageHeaders()
        : base(StringComparer.Ordinal)
    {
    }

    /// <summary>Inline status from the header line (e.g. 503 for no responders); 0 when absent.</summary>
    public int StatusCode { get; init; }

    public string? StatusDescription { get; init; }

    public void Add(string key, string value) => this[key] = TryGetValue(key, out var existing) ? [.. existing, value] : [value];
}
