using LlmServe.Contracts;
using LlmServe.Scheduler.KvCache;

namespace LlmServe.Scheduler.Planning;

/// <summary>
/// Continuous batching, decided every step: running sequences first (decodes and the rest of chunked
/// prefills), then waiting sequences in policy order while blocks, the token budget and the sequence limit
/// allow. When blocks run out, the lowest-ranked running sequence is preempted and later recomputed over its
/// prompt and generated tokens. Up to <see cref="PlannerLimits.MaxStepsInFlight"/> steps are in flight; results come
/// back in step order. The plan object is reused.
/// </summary>
/// <remarks>
/// A step planned while another is in flight (async scheduling) never preempts: a victim could be part of the step
/// in flight. When it cannot place a running sequence it stops there, and once nothing is in flight the next plan
/// preempts as usual. Blocks freed while a step is in flight are safe to reuse in a later step because the workers
/// run steps in order.
/// </remarks>
/// <remarks>Policy only: memory comes from <see cref="KvCacheManager"/>, delivery is the service's job.</remarks>
public sealed class StepPlanner
{
    private readonly KvCacheManager _kv;
    private readonly PlannerLimits _limits;
    private readonly StopConditions _stop;
    private readonly WaitingQueue _waiting;
    private readonly WaitingQueue.SequenceOrder _order;
    private readonly List<Sequence> _running = [];
    private readonly Dictionary<string, SchedulerRequest> _requests = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, Sequence> _byId = [];
    private readonly Queue<InFlightStep> _inFlight = new(2);
    private readonly Stack<List<ScheduledEntry>> _spareEntryLists = new();
    private List<ScheduledEntry> _scheduled = [];
    private readonly List<ulong> _released = [];
    private readonly StepPlan _plan = new();
    private readonly int _capacityTokens;
    private ulong _nextSequenceId;
    private long _arrivals;

    /// <param name="firstSequenceId">Sequence ids start here; a planner that replaces another continues its numbering.</param>
    /// <param name="lastStepId">Step ids continue after this one, so a late result for a dropped planner's step never matches.</param>
    public StepPlanner(KvCacheManager kv, PlannerLimits limits, ulong firstSequenceId = 1, ulong lastStepId = 0)
    {
        ArgumentNullException.ThrowIfNull(kv);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxNumSeqs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxNumBatchedTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxModelLen, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(limits.MaxStepsInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limits.MaxStepsInFlight, 2);
        _kv = kv;
        _limits = limits;
        _capacityTokens = kv.NumBlocks * kv.BlockSize;
        // A sequence alone must always fit the cache, or preemption could never make room for it.
        MaxSequenceLength = Math.Min(limits.MaxModelLen, _capacityTokens);
        _stop = new StopConditions(limits.EosTokenIds, MaxSequenceLength);
        _order = new WaitingQueue.SequenceOrder(limits.Policy);
        _waiting = new WaitingQueue(limits.Policy);
        _nextSequenceId = firstSequenceId;
        _plan.StepId = lastStepId;
    }

    public KvCacheManager Cache => _kv;

    public PlannerLimits Limits => _limits;

    /// <summary>Longest sequence served: the model's context length, or the whole cache when that is smaller.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>Events since the caller last cleared them.</summary>
    public StepOutputs Outputs { get; } = new();

    public bool StepInFlight => _inFlight.Count > 0;

    public int StepsInFlight => _inFlight.Count;

    /// <summary>Whether another step may be planned now (fewer than <see cref="PlannerLimits.MaxStepsInFlight"/> are in flight).</summary>
    public bool CanPlan => _inFlight.Count < _limits.MaxStepsInFlight;

    /// <summary>Id of the last step planned.</summary>
    public ulong StepId => _plan.StepId;

    /// <summary>Id of the step whose result comes next, or 0 when none is in flight.</summary>
    public ulong OldestStepInFlight => _inFlight.Count > 0 ? _inFlight.Peek().StepId : 0;

    public int RunningCount => _running.Count;

    /// <summary>Sequences waiting for admission (new or preempted).</summary>
    public int WaitingCount => _waiting.Count;

    public int RequestCount => _requests.Count;

    /// <summary>Whether a step has anything to do (or to tell the workers).</summary>
    public bool HasWork => _running.Count > 0 || _waiting.Count > 0;

    public ulong NextSequenceId => _nextSequenceId;

    public long PreemptionsTotal { get; private set; }

    /// <summary>Prompt tokens computed (recomputation after preemption included).</summary>
    public long PromptTokensTotal { get; private set; }

    public long GenerationTokensTotal { get; private set; }

    public IEnumerable<SchedulerRequest> Requests => _requests.Values;

    public IReadOnlyList<Sequence> Running => _running;

    public bool TryGetRequest(string requestId, out SchedulerRequest request) =>
        _requests.TryGetValue(requestId, out request!);

    /// <summary>Queues a request: one sequence per choice. Refuses, with a typed error, what could never run.</summary>
    /// <exception cref="SchedulingException">The request is malformed, too long, too large for the cache, or the queue is full.</exception>
    public SchedulerRequest Add(ScheduleRequest message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string requestId = message.Context?.RequestId ?? string.Empty;
        if (requestId.Length == 0)
        {
            throw new InvalidScheduleRequestException("The request has no request id.");
        }
        if (_requests.ContainsKey(requestId))
        {
            throw new InvalidScheduleRequestException($"Request '{requestId}' is already scheduled.");
        }
        int prompt = message.PromptTokenIds.Count;
        if (prompt == 0)
        {
            throw new InvalidScheduleRequestException("The prompt is empty.", "messages");
        }
        int n = message.N <= 0 ? 1 : message.N;
        if (n > _limits.MaxNumSeqs)
        {
            throw new InvalidScheduleRequestException($"n = {n} exceeds the {_limits.MaxNumSeqs} sequences this scheduler runs at once.", "n");
        }
        message.Sampling ??= new SamplingParams();
        int maxTokens = message.Sampling.MaxTokens;
        if (maxTokens < 0)
        {
            throw new InvalidScheduleRequestException("max_tokens must not be negative.", "max_tokens");
        }
        int modelLen = _limits.MaxModelLen;
        if (prompt >= modelLen)
        {
            throw new ContextLengthExceededException(
                $"This model's maximum context length is {modelLen} tokens. However, your prompt has {prompt} tokens, leaving no room for output.",
                "messages");
        }
        if (maxTokens > 0 && prompt + maxTokens > modelLen)
        {
            throw new ContextLengthExceededException(
                $"This model's maximum context length is {modelLen} tokens. However, you requested {prompt + maxTokens} tokens ({prompt} in the messages, {maxTokens} in the completion).",
                "max_tokens");
        }
        int needed = prompt + Math.Max(maxTokens, 1);
        if (needed > _capacityTokens)
        {
            throw new RequestTooLargeException(
                $"The request needs {needed} KV cache slots ({prompt} prompt + {Math.Max(maxTokens, 1)} output tokens), but the whole KV cache holds {_capacityTokens} ({_kv.NumBlocks} blocks of {_kv.BlockSize}).");
        }
        if (_waiting.Count >= _limits.MaxWaiting)
        {
            throw new OverloadedException($"The scheduler's waiting queue is full ({_limits.MaxWaiting} sequences).");
        }

        var request = new SchedulerRequest(message, _arrivals++);
        ReadOnlySpan<int> promptTokens = AsSpan(message.PromptTokenIds);
        // Room for the whole output when max_tokens bounds it (no regrowth per token), within reason.
        int expectedLength = Math.Min(prompt + (maxTokens > 0 ? Math.Min(maxTokens, 8192) : 256), MaxSequenceLength) + 1;
        for (int choice = 0; choice < n; choice++)
        {
            var sequence = new Sequence(_nextSequenceId++, request, choice, promptTokens, expectedLength)
            {
                Status = choice == 0 ? SequenceStatus.Waiting : SequenceStatus.AwaitingFork,
            };
            sequence.Kv.Reserve(_kv.BlocksFor(expectedLength));
            request.SequenceList.Add(sequence);
            _byId.Add(sequence.Id, sequence);
        }
        _requests.Add(requestId, request);
        _waiting.Add(request.SequenceList[0]);
        return request;
    }

    /// <summary>
    /// Decides the next step. Returns the (reused) plan, or null when there is nothing to compute.
    /// The plan stays valid until the next call.
    /// </summary>
    public StepPlan? PlanStep()
    {
        if (!CanPlan)
        {
            throw new InvalidOperationException($"{_inFlight.Count} steps are already in flight; apply the oldest one's result first.");
        }
        _plan.Sequences.Clear();
        _plan.ReleasedSequenceIds.Clear();
        _plan.DecodeSequenceIds.Clear();
        _plan.DecodeTokenIds.Clear();
        _plan.DecodePositions.Clear();
        _plan.DecodeNewBlockRows.Clear();
        _plan.DecodeNewBlockIds.Clear();
        _scheduled.Clear();
        int budget = _limits.MaxNumBatchedTokens;
        bool ahead = _inFlight.Count > 0;
        bool stalled = ahead ? ScheduleRunningAhead(ref budget) : ScheduleRunning(ref budget);
        if (!stalled)
        {
            AdmitWaiting(ref budget);
        }
        if (_scheduled.Count == 0)
        {
            return null; // released ids wait for the next real step
        }
        foreach (ulong id in _released)
        {
            _plan.ReleasedSequenceIds.Add(id);
        }
        _released.Clear();
        _plan.StepId++;
        _inFlight.Enqueue(new InFlightStep(_plan.StepId, _scheduled));
        _scheduled = _spareEntryLists.Count > 0 ? _spareEntryLists.Pop() : new List<ScheduledEntry>(_limits.MaxNumSeqs);
        return _plan;
    }

    /// <summary>
    /// Takes in the sampled tokens of the oldest step in flight: appends them, checks stop conditions, finishes sequences.
    /// </summary>
    public void ApplyResult(StepResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (_inFlight.Count == 0 || result.StepId != _inFlight.Peek().StepId)
        {
            throw new InvalidOperationException($"Step {result.StepId} is not the oldest step in flight.");
        }
        if (result.DescribeTokenMismatch() is { } mismatch)
        {
            throw new ArgumentException($"Step {result.StepId}: {mismatch}.", nameof(result));
        }
        List<ScheduledEntry> entries = _inFlight.Dequeue().Entries;

        foreach (ScheduledEntry entry in entries)
        {
            Sequence sequence = entry.Sequence;
            sequence.InFlightSteps--;
            if (entry.Samples)
            {
                sequence.PendingSamples--;
            }
            if (sequence.Status != SequenceStatus.Running)
            {
                continue;
            }
            sequence.ComputedTokens = entry.Start + entry.Tokens;
            if (entry.Start < sequence.PromptLength)
            {
                PromptTokensTotal += Math.Min(sequence.PromptLength, entry.Start + entry.Tokens) - entry.Start;
            }
            if (sequence.ChoiceIndex == 0 && sequence.ComputedTokens >= sequence.PromptLength)
            {
                ReleaseForks(sequence.Request);
            }
        }

        // Index loops: the fields' enumerators are heap objects.
        Google.Protobuf.Collections.RepeatedField<ulong> packedIds = result.SampledSequenceIds;
        Google.Protobuf.Collections.RepeatedField<int> packedTokens = result.SampledTokenIds;
        for (int t = 0; t < packedIds.Count; t++)
        {
            AcceptToken(packedIds[t], packedTokens[t], null);
        }
        Google.Protobuf.Collections.RepeatedField<SampledToken> sampled = result.Tokens;
        for (int t = 0; t < sampled.Count; t++)
        {
            SampledToken token = sampled[t];
            AcceptToken(token.SequenceId, token.TokenId, token.Logprob);
        }

        foreach (ScheduledEntry entry in entries)
        {
            if (entry.Sequence.HasPendingCancel)
            {
                Finish(entry.Sequence, entry.Sequence.PendingCancel, emit: true);
            }
        }
        CompactRunning();
        entries.Clear();
        _spareEntryLists.Push(entries);
    }

    private void AcceptToken(ulong sequenceId, int tokenId, TokenLogprob? logprob)
    {
        if (!_byId.TryGetValue(sequenceId, out Sequence? sequence)
            || sequence.Status != SequenceStatus.Running
            || sequence.HasPendingCancel
            || sequence.ComputedTokens != sequence.Length)
        {
            return; // finished, cancelled, or not sampled this step
        }
        sequence.Append(tokenId);
        GenerationTokensTotal++;
        FinishReason reason = _stop.Check(sequence, tokenId, out int stopTokenId);
        Outputs.Add(new SequenceOutput(sequence, true, tokenId, logprob, reason, stopTokenId));
        if (reason != FinishReason.None)
        {
            Finish(sequence, reason, emit: false);
        }
    }

    /// <summary>
    /// Stops one choice (<paramref name="choiceIndex"/> ≥ 0) or all of a request. Blocks are freed now, or right
    /// after the step in flight when the sequence is part of it.
    /// </summary>
    /// <returns>False when the request is unknown (finished already, or never here).</returns>
    public bool Cancel(string requestId, int choiceIndex, FinishReason reason)
    {
        if (!_requests.TryGetValue(requestId, out SchedulerRequest? request))
        {
            return false;
        }
        foreach (Sequence sequence in request.SequenceList)
        {
            if (sequence.Status == SequenceStatus.Finished || (choiceIndex >= 0 && sequence.ChoiceIndex != choiceIndex))
            {
                continue;
            }
            if (sequence.InFlight)
            {
                sequence.HasPendingCancel = true;
                sequence.PendingCancel = reason;
            }
            else
            {
                Finish(sequence, reason, emit: true);
            }
        }
        CompactRunning();
        return true;
    }

    private bool ScheduleRunning(ref int budget)
    {
        bool preempted = false;
        int i = 0;
        while (i < _running.Count && budget > 0)
        {
            Sequence sequence = _running[i];
            int newTokens = Math.Min(sequence.Length - sequence.ComputedTokens, budget);
            if (newTokens <= 0)
            {
                i++;
                continue;
            }
            bool selfPreempted = false;
            while (!_kv.TryAllocateSlots(sequence.Kv, sequence.Tokens, sequence.ComputedTokens, newTokens, applyWatermark: false))
            {
                int victim = PickVictim(i);
                Preempt(_running[victim]);
                _running.RemoveAt(victim);
                preempted = true;
                if (victim == i)
                {
                    selfPreempted = true;
                    break;
                }
            }
            if (selfPreempted)
            {
                continue; // the next sequence moved into slot i
            }
            Schedule(sequence, sequence.ComputedTokens, newTokens, deferred: false);
            budget -= newTokens;
            i++;
        }
        return preempted;
    }

    /// <summary>
    /// Running sequences for a step planned while another is in flight: each continues where the steps in flight
    /// leave it, a decode whose input is being sampled right now carries <see cref="StepPlan.DeferredToken"/>, and
    /// nothing is preempted. Returns true when a sequence could not be placed (the rest wait for a later step).
    /// </summary>
    private bool ScheduleRunningAhead(ref int budget)
    {
        for (int i = 0; i < _running.Count && budget > 0; i++)
        {
            Sequence sequence = _running[i];
            if (sequence.HasPendingCancel)
            {
                continue;
            }
            int pending = sequence.PendingSamples;
            int length = sequence.Length + pending;
            if (pending > 0 && _stop.EndsByLengthAt(sequence, length))
            {
                continue; // the token in flight is its last
            }
            int start = sequence.ScheduledTokens;
            int newTokens = Math.Min(length - start, budget);
            if (newTokens <= 0)
            {
                continue;
            }
            if (!_kv.TryAllocateSlots(sequence.Kv, sequence.Tokens, start, newTokens, applyWatermark: false, pendingTokens: pending))
            {
                return true;
            }
            Schedule(sequence, start, newTokens, deferred: pending > 0);
            budget -= newTokens;
        }
        return false;
    }

    private void AdmitWaiting(ref int budget)
    {
        while (budget > 0 && _running.Count < _limits.MaxNumSeqs && _waiting.Peek() is { } sequence)
        {
            bool forked = false;
            int computed;
            Sequence parent = sequence.Request.SequenceList[0];
            if (sequence.ChoiceIndex > 0 && sequence.OutputLength == 0 && parent.Status == SequenceStatus.Running
                && parent.ComputedTokens >= parent.PromptLength && !parent.HasPendingCancel)
            {
                computed = _kv.Fork(parent.Kv, sequence.Kv, sequence.PromptLength - 1);
                forked = true;
            }
            else
            {
                computed = _kv.FindCachedPrefix(sequence.Kv, sequence.Tokens);
            }
            int newTokens = Math.Min(sequence.Length - computed, budget);
            if (!_kv.TryAllocateSlots(sequence.Kv, sequence.Tokens, computed, newTokens, applyWatermark: true))
            {
                if (forked)
                {
                    _kv.Free(sequence.Kv);
                }
                return; // head-of-line: later arrivals do not jump a request that is waiting for blocks
            }
            _waiting.Remove(sequence);
            sequence.Status = SequenceStatus.Running;
            sequence.ComputedTokens = computed;
            sequence.ScheduledTokens = computed;
            sequence.NeedsFullState = true;
            if (sequence.Preemptions == 0)
            {
                sequence.CachedPromptTokens = computed;
            }
            _running.Add(sequence);
            Schedule(sequence, computed, newTokens, deferred: false);
            budget -= newTokens;
        }
    }

    /// <summary>The running sequence at or after <paramref name="from"/> that ranks last (not yet scheduled this step).</summary>
    private int PickVictim(int from)
    {
        if (_limits.Policy == SchedulingPolicy.Fcfs)
        {
            return _running.Count - 1;
        }
        int victim = from;
        for (int i = from + 1; i < _running.Count; i++)
        {
            if (_order.Compare(_running[i], _running[victim]) > 0)
            {
                victim = i;
            }
        }
        return victim;
    }

    private void Preempt(Sequence sequence)
    {
        _kv.Free(sequence.Kv);
        sequence.ComputedTokens = 0;
        sequence.ScheduledTokens = 0;
        sequence.SentBlockCount = 0;
        sequence.NeedsFullState = true;
        sequence.Status = SequenceStatus.Waiting;
        sequence.Preemptions++;
        PreemptionsTotal++;
        _released.Add(sequence.Id);
        _waiting.Add(sequence);
    }

    /// <param name="deferred">The last of the tokens is being sampled by the step in flight (a decode planned ahead).</param>
    private void Schedule(Sequence sequence, int start, int newTokens, bool deferred)
    {
        int length = sequence.Length + (deferred ? 1 : 0);
        sequence.ScheduledTokens = start + newTokens;
        sequence.InFlightSteps++;
        bool samples = start + newTokens == length;
        if (samples)
        {
            sequence.PendingSamples++;
        }
        if (!sequence.NeedsFullState && newTokens == 1 && start + 1 == length)
        {
            ScheduleDecode(sequence, start, deferred);
            return;
        }
        if (deferred)
        {
            throw new InvalidOperationException($"Sequence {sequence.Id}: only a plain decode can wait for its input token.");
        }
        ScheduledSequence wire = sequence.Wire;
        wire.SequenceId = sequence.Id;
        wire.StartPosition = start;
        wire.TokenIds.Clear();
        foreach (int token in sequence.Tokens.Slice(start, newTokens))
        {
            wire.TokenIds.Add(token);
        }
        wire.PromptTokenIds.Clear();
        wire.ResumedOutputTokenIds.Clear();
        if (sequence.NeedsFullState)
        {
            wire.IsNew = true;
            wire.Sampling = sequence.Request.Sampling;
            foreach (int token in sequence.Tokens[..sequence.PromptLength])
            {
                wire.PromptTokenIds.Add(token);
            }
            foreach (int token in sequence.OutputTokens)
            {
                wire.ResumedOutputTokenIds.Add(token);
            }
            sequence.SentBlockCount = 0;
            sequence.NeedsFullState = false;
        }
        else
        {
            wire.IsNew = false;
            wire.Sampling = null;
        }
        wire.NewBlockIds.Clear();
        ReadOnlySpan<int> table = sequence.Kv.BlockTable;
        for (int b = sequence.SentBlockCount; b < table.Length; b++)
        {
            wire.NewBlockIds.Add(table[b]);
        }
        sequence.SentBlockCount = table.Length;
        wire.Sample = samples;
        _plan.Sequences.Add(wire);
        _scheduled.Add(new ScheduledEntry(sequence, start, newTokens, samples));
    }

    // The common case as one entry in each packed array: no per-sequence message to fill or encode.
    private void ScheduleDecode(Sequence sequence, int start, bool deferred)
    {
        int row = _plan.DecodeSequenceIds.Count;
        _plan.DecodeSequenceIds.Add(sequence.Id);
        _plan.DecodeTokenIds.Add(deferred ? StepPlan.DeferredToken : sequence.Tokens[start]);
        _plan.DecodePositions.Add(start);
        ReadOnlySpan<int> table = sequence.Kv.BlockTable;
        for (int b = sequence.SentBlockCount; b < table.Length; b++)
        {
            _plan.DecodeNewBlockRows.Add(row);
            _plan.DecodeNewBlockIds.Add(table[b]);
        }
        sequence.SentBlockCount = table.Length;
        _scheduled.Add(new ScheduledEntry(sequence, start, 1, Samples: true));
    }

    private void ReleaseForks(SchedulerRequest request)
    {
        for (int i = 1; i < request.SequenceList.Count; i++)
        {
            Sequence child = request.SequenceList[i];
            if (child.Status == SequenceStatus.AwaitingFork)
            {
                child.Status = SequenceStatus.Waiting;
                _waiting.Add(child);
            }
        }
    }

    private void Finish(Sequence sequence, FinishReason reason, bool emit)
    {
        switch (sequence.Status)
        {
            case SequenceStatus.Finished:
                return;
            case SequenceStatus.Running:
                _kv.Free(sequence.Kv);
                _released.Add(sequence.Id);
                break;
            case SequenceStatus.Waiting:
                _waiting.Remove(sequence);
                break;
            case SequenceStatus.AwaitingFork:
                break;
        }
        sequence.Status = SequenceStatus.Finished;
        sequence.FinishReason = reason;
        sequence.HasPendingCancel = false;
        if (emit)
        {
            Outputs.Add(new SequenceOutput(sequence, false, 0, null, reason, 0));
        }

        SchedulerRequest request = sequence.Request;
        request.FinishedCount++;
        if (sequence.ChoiceIndex == 0)
        {
            ReleaseForks(request);
        }
        if (request.IsFinished)
        {
            _requests.Remove(request.RequestId);
            foreach (Sequence s in request.SequenceList)
            {
                _byId.Remove(s.Id);
            }
            Outputs.AddFinished(request);
        }
    }

    private void CompactRunning()
    {
        int kept = 0;
        for (int i = 0; i < _running.Count; i++)
        {
            if (_running[i].Status == SequenceStatus.Running)
            {
                _running[kept++] = _running[i];
            }
        }
        if (kept < _running.Count)
        {
            _running.RemoveRange(kept, _running.Count - kept);
        }
    }

    private static ReadOnlySpan<int> AsSpan(Google.Protobuf.Collections.RepeatedField<int> field)
    {
        int[] copy = new int[field.Count];
        field.CopyTo(copy, 0);
        return copy;
    }

    /// <summary>A step sent to the workers whose result is still to come, with each sequence's share of it.</summary>
    private readonly record struct InFlightStep(ulong StepId, List<ScheduledEntry> Entries);
}
