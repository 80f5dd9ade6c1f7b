using LlmServe.Messaging;

namespace LlmServe.Scheduler.Service;

/// <summary>One input to the scheduler loop; everything the loop reacts to funnels through one channel.</summary>
internal readonly record struct SchedulerEvent(SchedulerEventKind Kind, BusMessage? Message);
