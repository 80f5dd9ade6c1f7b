namespace LlmServe.Scheduler.Planning;

/// <summary>
/// Events the planner produced since the last <see cref="Clear"/>: tokens and finishes per sequence, and the
/// requests whose every choice has finished. The service turns them into token deltas, then clears them.
/// </summary>
public sealed class StepOutputs
{
    private readonly List<SequenceOutput> _items = [];
    private readonly List<SchedulerRequest> _finished = [];

    public IReadOnlyList<SequenceOutput> Items => _items;

    /// <summary>Requests completed (all choices finished); the planner has forgotten them.</summary>
    public IReadOnlyList<SchedulerRequest> FinishedRequests => _finished;

    public bool IsEmpty => _items.Count == 0 && _finished.Count == 0;

    public void Clear()
    {
        _items.Clear();
        _finished.Clear();
    }

    internal void Add(in SequenceOutput output) => _items.Add(output);

    internal void AddFinished(SchedulerRequest request) => _finished.Add(request);
}
