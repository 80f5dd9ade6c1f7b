namespace LlmServe.Scheduler.Service;

internal enum SchedulerEventKind
{
    Schedule,
    Cancel,
    Result,
    Worker,
    Tick,
}
