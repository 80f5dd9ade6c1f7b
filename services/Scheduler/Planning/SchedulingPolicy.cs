namespace LlmServe.Scheduler.Planning;

/// <summary>Order in which waiting sequences are admitted and running ones preempted.</summary>
public enum SchedulingPolicy
{
    /// <summary>First come, first served; the newest running sequence is preempted first.</summary>
    Fcfs,

    /// <summary>Lower <c>priority</c> value first, then arrival; the lowest-priority, newest sequence is preempted first.</summary>
    Priority,
}
