namespace LlmServe.Scheduler.Service;

/// <summary>What a hello did to the registry.</summary>
public enum WorkerChange
{
    /// <summary>A worker new to the registry.</summary>
    Added,

    /// <summary>A worker the registry knew, announcing the same thing again.</summary>
    Refreshed,

    /// <summary>A different worker took a stage (and rank) someone else held: that one's KV is gone.</summary>
    Replaced,

    /// <summary>The hello disagrees with the others (stage count, tensor-parallel size, block size); ignored.</summary>
    Rejected,
}
