using LlmServe.Contracts;

namespace LlmServe.Worker;

/// <summary>
/// Activations that arrived from the previous stage, matched to step plans by step id: either may arrive first.
/// </summary>
internal sealed class StageInputInbox
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, TaskCompletionSource<HiddenStates>> _pending = [];

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

    public async Task<HiddenStates> TakeAsync(ulong stepId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        TaskCompletionSource<HiddenStates> waiter;
        lock (_gate)
        {
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
    /// Ends every wait in progress: after a roll call the steps planned before it are void and the previous stage will
    /// never send their activations, so waiting for them would only hold up the new scheduler's steps.
    /// </summary>
    public void Abandon()
    {
        lock (_gate)
        {
            foreach (var waiter in _pending.Values)
            {
                waiter.TrySetException(new InvalidOperationException("the step was abandoned: the scheduler called the roll again"));
            }
            _pending.Clear();
        }
    }

    private static TaskCompletionSource<HiddenStates> NewWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
