using System.ComponentModel.DataAnnotations;

namespace LlmServe.Gateway.Configuration;

/// <summary>Token-bucket rate limit per API key (per client address when no keys are configured).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests per second each key earns; 0 = no rate limit.</summary>
    [Range(0, 1_000_000)]
    public double RequestsPerSecond { get; set; }

    /// <summary>Requests a key may make at once after being idle.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 10;
}
