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

    /// <summary>
    /// Steps planned before the oldest one's result is in: 1, or 2 for async scheduling, where the next step is
    /// planned and sent while the workers run the current one, so planning and the bus round trip leave the
    /// workers' critical path. A decode whose input token is still being sampled then carries
    /// <see cref="Contracts.StepPlan.DeferredToken"/> and the worker feeds back its own sample, so this needs one worker that
    /// is both the first and the last stage. A sequence that stops on that token wastes one token of compute.
    /// </summary>
    public int MaxStepsInFlight { get; init; } = 1;

    /// <summary>End-of-sequence token ids (from the workers' hello).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
}
