using System.Text.Json.Serialization;

namespace LlmServe.Gateway.Health;

/// <summary>Body of /health and /ready.</summary>
public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("models_not_ready")] IReadOnlyList<string>? ModelsNotReady);
