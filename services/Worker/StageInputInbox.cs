using LlmServe.Contracts;

namespace LlmServe.Worker;

/// <summary>
/// Activations that arrived from the previous stage, matched to step plans by step id: either may arrive first.
/// </summary>
internal sealed class StageInputInbox
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, TaskCompletionSource<HiddenStates>> _pending = [];
    private long _generation;

    /// <summary>Changes on every <see cref="Abandon"/>: a wait begun under an older generation ends at once.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public void Post(HiddenStates hidden)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(hidden.StepId, out var waiter))
            {
                waiter = NewWaiter();
                _pending[hidden.StepId] = waiter;
            }
            waiter.TrySetResult(hidden);
        }
    }

    public async Task<HiddenStates> TakeAsync(ulong stepId, long generation, TimeSpan timeout, CancellationToken cancellationToken)
    {
        TaskCompletionSource<HiddenStates> waiter;
        lock (_gate)
        {
            if (generation != _generation)
            {
                throw new InvalidOperationException($"step {stepId} was abandoned: a newer step plan or a roll call came first");
            }
            if (!_pending.TryGetValue(stepId, out waiter!))
            {
                waiter = NewWaiter();
                _pending[stepId] = waiter;
            }
        }
        try
        {
            return await waiter.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no activations for step {stepId} from the previous stage within {timeout.TotalSeconds:0.#} s");
        }
        finally
        {
            lock (_gate)
            {
                _pending.Remove(stepId);
                // Anything older than this step can never be used.
                foreach (ulong stale in _pending.Keys.Where(k => k < stepId).ToList())
                {
                    _pending.Remove(stale);
                }
            }
        }
    }

    /// <summary>
    /// Ends every wait in progress: after a roll call or a newer step plan the steps planned before are void and the
    /// previous stage may never send their activations, so waiting for them would only hold up the steps that follow.
    /// </summary>
    public void Abandon()
    {
        lock (_gate)
        {
            _generation++;
            // Activations that already arrived stay: they may be for the very plan that is arriving now.
            foreach (var (stepId, waiter) in _pending.Where(p => !p.Value.Task.IsCompletedSuccessfully).ToList())
            {
                waiter.TrySetException(new InvalidOperationException("the step was abandoned: a newer step plan or a roll call came first"));
                _pending.Remove(stepId);
            }
        }
    }

    private static TaskCompletionSource<HiddenStates> NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
