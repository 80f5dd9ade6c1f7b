using LlmServe.LoadGen.Datasets;
using LlmServe.LoadGen.Metrics;

namespace LlmServe.LoadGen.Cli;

/// <summary>Everything one benchmark run is told on the command line (defaults follow <c>vllm bench serve</c>).</summary>
public sealed record LoadGenOptions
{
    public Uri BaseUrl { get; init; } = new("http://127.0.0.1:8000");

    public string Endpoint { get; init; } = "/v1/completions";

    public string Model { get; init; } = "";

    public string? ApiKey { get; init; }

    /// <summary><c>random</c>, <c>sharegpt</c> or <c>sharegpt-synthetic</c>.</summary>
    public string Dataset { get; init; } = "random";

    public string? DatasetPath { get; init; }

    public int? ShareGptOutputLength { get; init; }

    public int RandomInputLength { get; init; } = 1024;

    public int RandomOutputLength { get; init; } = 128;

    public double RandomRangeRatio { get; init; }

    /// <summary>Null = ids for /v1/completions with a tokenizer, text otherwise.</summary>
    public PromptFormat? PromptFormat { get; init; }

    /// <summary>tokenizer.json or a model directory: the vocabulary random token-id prompts draw from.</summary>
    public string? Tokenizer { get; init; }

    public double RequestRate { get; init; } = double.PositiveInfinity;

    public int? MaxConcurrency { get; init; }

    public int NumPrompts { get; init; } = 1000;

    public int NumWarmups { get; init; }

    public bool IgnoreEos { get; init; }

    public double Temperature { get; init; }

    /// <summary>top_p of every request; null = not sent (the server's default, 1).</summary>
    public double? TopP { get; init; }

    /// <summary>top_k of every request (vLLM's extension); null = not sent.</summary>
    public int? TopK { get; init; }

    /// <summary>min_p of every request (vLLM's extension); null = not sent.</summary>
    public double? MinP { get; init; }

    public bool IncludeUsage { get; init; } = true;

    public int Seed { get; init; }

    public GoodputSlo Goodput { get; init; } = new(null, null, null);

    public IReadOnlyList<double> Percentiles { get; init; } = [50, 90, 99];

    public string? ResultFile { get; init; }

    public string? Label { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public bool Quiet { get; init; }

    /// <summary>Ask the server for its per-hop timing breakdown on every request (our gateway's <c>x-llmserve-timing</c>) and report it.</summary>
    public bool HopTimings { get; init; }

    /// <summary>config.json (or model directory) whose shape the floor uses; the floor is computed only when set or <see cref="FloorShape"/> is.</summary>
    public string? FloorModelConfig { get; init; }

    public Floor.ModelShape? FloorShape { get; init; }

    public long? FloorParams { get; init; }

    public double FloorGemmTflops { get; init; } = 791;

    public double FloorBandwidthGBs { get; init; } = 3030;

    public bool WantsFloor => FloorModelConfig is not null || FloorShape is not null || FloorParams is not null;
}
