namespace LlmServe.Scheduler.Planning;

public enum SequenceStatus
{
    /// <summary>Not admitted yet, or preempted and waiting to be recomputed.</summary>
    Waiting,

    /// <summary>A choice of an n &gt; 1 request waiting for its first sibling's prompt to be computed, to share its blocks.</summary>
    AwaitingFork,

    Running,

    Finished,
}
