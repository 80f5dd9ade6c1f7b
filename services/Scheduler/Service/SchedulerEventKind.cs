namespace LlmServe.Scheduler.Service;

internal enum SchedulerEventKind
{
    Schedule,
    Cancel,
    Result,
    Worker,
    Tick,

    /// <summary>NATS said no detokenizer received a request's start message.</summary>
    DetokUnreachable,
}
