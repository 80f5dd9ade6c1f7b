namespace LlmServe.Scheduler.Planning;

/// <summary>
/// Sequences waiting for admission, in policy order: FCFS by arrival, or by priority then arrival.
/// A preempted sequence keeps its arrival, so it goes back ahead of later ones.
/// </summary>
public sealed class WaitingQueue
{
    private readonly SortedSet<Sequence> _set;

    public WaitingQueue(SchedulingPolicy policy)
    {
        _set = new SortedSet<Sequence>(new SequenceOrder(policy));
    }

    public int Count => _set.Count;

    public Sequence? Peek() => _set.Count == 0 ? null : _set.Min;

    public void Add(Sequence sequence)
    {
        if (!_set.Add(sequence))
        {
            throw new InvalidOperationException($"Sequence {sequence.Id} is already waiting.");
        }
    }

    public bool Remove(Sequence sequence) => _set.Remove(sequence);

    public void Clear() => _set.Clear();

    public SortedSet<Sequence>.Enumerator GetEnumerator() => _set.GetEnumerator();

    /// <summary>Admission order; the preemption victim is the greatest running sequence in the same order.</summary>
    internal sealed class SequenceOrder(SchedulingPolicy policy) : IComparer<Sequence>
    {
        public int Compare(Sequence? x, Sequence? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }
            if (x is null)
            {
                return -1;
            }
            if (y is null)
            {
                return 1;
            }
            if (policy == SchedulingPolicy.Priority)
            {
                int byPriority = x.Request.Priority.CompareTo(y.Request.Priority);
                if (byPriority != 0)
                {
                    return byPriority;
                }
            }
            int byArrival = x.Request.ArrivalOrder.CompareTo(y.Request.ArrivalOrder);
            return byArrival != 0 ? byArrival : x.Id.CompareTo(y.Id);
        }
    }
}
