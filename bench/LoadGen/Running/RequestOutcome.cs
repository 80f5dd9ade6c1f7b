namespace LlmServe.LoadGen.Running;

/// <summary>What one request measured, in seconds, relative to its own send time unless said otherwise.</summary>
public sealed class RequestOutcome
{
    public bool Success { get; set; }

    /// <summary>Seconds after the benchmark started that the request was sent (after waiting for a concurrency slot).</summary>
    public double SentAt { get; set; }

    /// <summary>Prompt tokens: the server's usage.prompt_tokens when it reports usage, else the dataset's count.</summary>
    public int InputTokens { get; set; }

    /// <summary>Generated tokens: usage.completion_tokens when reported (<see cref="OutputFromUsage"/>), else the number of text chunks.</summary>
    public int OutputTokens { get; set; }

    public bool OutputFromUsage { get; set; }

    /// <summary>Time to the first chunk with generated text.</summary>
    public double Ttft { get; set; }

    /// <summary>Time to the end of the stream.</summary>
    public double Latency { get; set; }

    /// <summary>Gaps between consecutive text chunks.</summary>
    public List<double> Itl { get; } = [];

    public string? FinishReason { get; set; }

    public string? Error { get; set; }

    /// <summary>Wall-clock Unix µs of the send and of the first text chunk's arrival: with the breakdown's absolute stamps they give
    /// the HTTP hop each way, when client and server share a clock.</summary>
    public long SentUnixMicros { get; set; }

    public long FirstTextUnixMicros { get; set; }

    /// <summary>The server's per-hop breakdown, when asked for (<c>--hop-timings</c>) and returned.</summary>
    public Metrics.HopTimingSample? HopTiming { get; set; }

    /// <summary>Mean time per output token after the first, vLLM's definition: (latency − TTFT) / (output − 1); 0 with one token.</summary>
    public double Tpot => OutputTokens > 1 ? (Latency - Ttft) / (OutputTokens - 1) : 0;
}
