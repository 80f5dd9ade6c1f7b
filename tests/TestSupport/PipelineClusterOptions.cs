namespace LlmServe.TestSupport;

/// <summary>Shape of a test cluster: how many stages, how much KV cache, which limits.</summary>
public sealed record PipelineClusterOptions
{
    public string Model { get; init; } = "tiny";

    public int StageCount { get; init; } = 1;

    /// <summary>Tokenizer processes (one queue group).</summary>
    public int TokenizerReplicas { get; init; } = 1;

    /// <summary>Detokenizer processes, one per shard (the scheduler's DetokShards follows).</summary>
    public int DetokenizerShards { get; init; } = 1;

    public int KvBlocks { get; init; } = 2048;

    public int MaxNumSeqs { get; init; } = 64;

    public int MaxNumBatchedTokens { get; init; } = 512;

    public bool StartGateway { get; init; } = true;

    public TimeSpan WorkerTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>Extra arguments for nats-server (e.g. <c>-c file</c> for a config with users and permissions).</summary>
    public IReadOnlyList<string> NatsArguments { get; init; } = [];

    /// <summary>Extra environment per service name ("Gateway", "Worker"...), after <see cref="Environment"/>.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ServiceEnvironment { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    /// <summary>Extra environment for every service (e.g. option overrides).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
