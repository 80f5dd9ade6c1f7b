namespace LlmServe.Scheduler.Planning;

/// <summary>What bounds one step and one request. Fixed for the life of a planner.</summary>
public sealed record PlannerLimits
{
    /// <summary>Sequences running at once.</summary>
    public int MaxNumSeqs { get; init; } = 256;

    /// <summary>Tokens computed in one step (prefill chunks plus decodes).</summary>
    public int MaxNumBatchedTokens { get; init; } = 2048;

    /// <summary>Longest sequence (prompt plus output) the model serves.</summary>
    public int MaxModelLen { get; init; } = 4096;

    /// <summary>Waiting requests beyond which new ones are refused as overloaded.</summary>
    public int MaxWaiting { get; init; } = 1024;

    public SchedulingPolicy Policy { get; init; } = SchedulingPolicy.Fcfs;

    /// <summary>End-of-sequence token ids (from the workers' hello).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
}
