namespace LlmServe.TestSupport;

/// <summary>Shape of a test cluster: how many stages, how much KV cache, which limits.</summary>
public sealed record PipelineClusterOptions
{
    public string Model { get; init; } = "tiny";

    public int StageCount { get; init; } = 1;

    public int KvBlocks { get; init; } = 2048;

    public int MaxNumSeqs { get; init; } = 64;

    public int MaxNumBatchedTokens { get; init; } = 512;

    public bool StartGateway { get; init; } = true;

    public TimeSpan WorkerTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>Extra environment for every service (e.g. option overrides).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
