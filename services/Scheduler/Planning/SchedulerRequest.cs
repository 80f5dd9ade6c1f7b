using LlmServe.Contracts;

namespace LlmServe.Scheduler.Planning;

/// <summary>A request the planner holds: the message it came in, and one sequence per choice.</summary>
public sealed class SchedulerRequest
{
    internal SchedulerRequest(ScheduleRequest message, long arrivalOrder)
    {
        Message = message;
        ArrivalOrder = arrivalOrder;
        RequestId = message.Context?.RequestId ?? string.Empty;
    }

    public string RequestId { get; }

    public ScheduleRequest Message { get; }

    public SamplingParams Sampling => Message.Sampling;

    public int Priority => Message.Priority;

    /// <summary>Order of arrival at this scheduler; breaks priority ties and drives FCFS.</summary>
    public long ArrivalOrder { get; }

    public IReadOnlyList<Sequence> Sequences => SequenceList;

    public int FinishedCount { get; internal set; }

    public bool IsFinished => FinishedCount == SequenceList.Count;

    public int PromptTokens => Message.PromptTokenIds.Count;

    /// <summary>Output tokens of every choice so far, for usage.</summary>
    public int CompletionTokens
    {
        get
        {
            int total = 0;
            foreach (Sequence sequence in SequenceList)
            {
                total += sequence.OutputLength;
            }
            return total;
        }
    }

    internal List<Sequence> SequenceList { get; } = [];
}
