using System.ComponentModel.DataAnnotations;
using LlmServe.Gateway.Console;

namespace LlmServe.Gateway.Configuration;

/// <summary>Everything the gateway reads from configuration section "Gateway" (env: <c>Gateway__ApiKeys__0</c>...).</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Names this gateway instance on the bus (reply subjects); a random one when empty.</summary>
    public string? GatewayId { get; set; }

    /// <summary>
    /// Models served even before any scheduler reports (served model names). Models announced by scheduler
    /// status messages are added to these.
    /// </summary>
    public List<string> Models { get; } = [];

    /// <summary>Extra names clients may use: alias → served model name (vLLM's several --served-model-name).</summary>
    public Dictionary<string, string> ModelAliases { get; } = new(StringComparer.Ordinal);

    /// <summary>Largest request body; bigger ones get 413.</summary>
    [Range(1024, 1L << 30)]
    public long MaxRequestBodyBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>Largest total size of a request's headers; more is answered 431 by Kestrel.</summary>
    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>Most headers a request may carry; more is answered 431 by Kestrel.</summary>
    [Range(8, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>Whole-request deadline, carried to every hop as <c>RequestContext.deadline_unix_ms</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the first chunk (or first error) of a generation may take.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan FirstTokenTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Longest silence between two chunks of a generation that has started. A stream that goes quiet this long
    /// (a detokenizer or scheduler died, or the bus lost its messages) ends with a retryable 503 instead of waiting
    /// for <see cref="RequestTimeout"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a tokenizer may take to acknowledge a generation (it acknowledges once the request is on its way to
    /// the scheduler). Without an acknowledgement the request is sent again, to another replica.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan TokenizeAckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Tries of the tokenize hop (the first one included) on a missing acknowledgement or no tokenizer.</summary>
    [Range(1, 10)]
    public int TokenizeAttempts { get; set; } = 3;

    /// <summary>Timeout of request/reply calls (tokenize, detokenize).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ControlRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Generations this gateway runs at once; more are answered 429.</summary>
    [Range(1, 1_000_000)]
    public int MaxInFlight { get; set; } = 4096;

    /// <summary>Largest <c>n</c> (completions per prompt).</summary>
    [Range(1, 1024)]
    public int MaxN { get; set; } = 16;

    /// <summary>Largest number of prompts in one /v1/completions request.</summary>
    [Range(1, 4096)]
    public int MaxPrompts { get; set; } = 64;

    [Range(0, 1024)]
    public int MaxStopStrings { get; set; } = 16;

    [Range(1, 65536)]
    public int MaxStopStringLength { get; set; } = 256;

    /// <summary>Largest top_logprobs / completions logprobs (vLLM's max_logprobs).</summary>
    [Range(0, 1024)]
    public int MaxLogprobs { get; set; } = 20;

    /// <summary>A scheduler status older than this no longer counts for /ready.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan StatusFreshness { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A tokenizer or detokenizer instance silent for this long leaves the console's health table (it shows as stale
    /// once silent for three of its heartbeat intervals).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ServiceHeartbeatRetention { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>API keys accepted as <c>Authorization: Bearer</c>; none configured = no authentication.</summary>
    public List<string> ApiKeys { get; } = [];

    public RateLimitOptions RateLimit { get; set; } = new();

    public CorsOptions Cors { get; set; } = new();

    /// <summary>The web console at <c>/</c> (<c>Gateway:Console:Enabled</c>).</summary>
    public ConsoleOptions Console { get; set; } = new();
}
