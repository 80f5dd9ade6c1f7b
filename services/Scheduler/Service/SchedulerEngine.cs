using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.Scheduler.KvCache;
using LlmServe.Scheduler.Planning;
using Microsoft.Extensions.Logging;

namespace LlmServe.Scheduler.Service;

/// <summary>
/// One replica's scheduler state machine: admits requests, runs steps one at a time, follows its workers, and
/// fails in-flight work when they die. Driven by one loop thread (<see cref="SchedulerService"/>), so it has
/// no locks; it only reads messages and publishes through <see cref="SchedulerPublisher"/>.
/// </summary>
/// <remarks>
/// With async scheduling two steps are in flight: the next is planned and sent while the workers run the current
/// one, and results are applied in step order. Otherwise one step is in flight.
/// </remarks>
internal sealed class SchedulerEngine
{
    private readonly SchedulerOptions _options;
    private readonly SchedulerPublisher _publisher;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly WorkerRegistry _registry;
    private readonly List<ScheduleRequest> _pending = [];
    private readonly StatusCounters _counters = new();
    private StepPlanner? _planner;
    private ulong _nextSequenceId = 1;
    private ulong _lastStepId;
    private DateTimeOffset _notReadySince;
    private DateTimeOffset _oldestStepSent;
    private DateTimeOffset _newestStepSent;
    private DateTimeOffset _lastStatus;
    private DateTimeOffset _lastStatusLog;
    private DateTimeOffset _lastDeadlineSweep;
    private static readonly TimeSpan RollCallRepeat = TimeSpan.FromSeconds(1);
    private DateTimeOffset _lastRollCall;
    private bool _refuseForNoWorkers;
    private int _maxModelLen;

    public SchedulerEngine(SchedulerOptions options, SchedulerPublisher publisher, ILogger logger, TimeProvider time)
    {
        _options = options;
        _publisher = publisher;
        _logger = logger;
        publisher.TraceFingerprints = logger.IsEnabled(LogLevel.Trace);
        _time = time;
        _registry = new WorkerRegistry(options.WorkerTimeout);
        _notReadySince = time.GetUtcNow();
        _lastStatus = _lastStatusLog = _lastDeadlineSweep = _notReadySince;
    }

    public bool IsServing => _planner is not null;

    public StepPlanner? Planner => _planner;

    public WorkerRegistry Registry => _registry;

    public int PendingCount => _pending.Count;

    public string NoRespondersSubject => _publisher.NoRespondersSubject;

    public ValueTask StartAsync(CancellationToken cancellationToken)
    {
        _logger.Started(_options.Model, _options.ReplicaId);
        return _publisher.PublishRollCallAsync(cancellationToken);
    }

    public ValueTask HandleAsync(SchedulerEvent e, CancellationToken cancellationToken) => e.Kind switch
    {
        SchedulerEventKind.Schedule => OnScheduleAsync(e.Message!.Payload, cancellationToken),
        SchedulerEventKind.Cancel => OnCancelAsync(e.Message!.Payload, cancellationToken),
        SchedulerEventKind.Result => OnResultAsync(e.Message!.Payload, cancellationToken),
        SchedulerEventKind.Worker => OnWorkerMessageAsync(e.Message!.Payload, cancellationToken),
        SchedulerEventKind.Tick => OnTickAsync(cancellationToken),
        SchedulerEventKind.DetokUnreachable => OnDetokUnreachableAsync(e.Message!, cancellationToken),
        _ => ValueTask.CompletedTask,
    };

    public async ValueTask OnScheduleAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ScheduleRequest? message = Parse(ScheduleRequest.Parser, payload, "schedule");
        if (message is null)
        {
            return;
        }
        _publisher.StampReceived(message);
        string requestId = message.Context?.RequestId ?? string.Empty;
        if (requestId.Length > 0
            && ((_planner is not null && _planner.TryGetRequest(requestId, out _)) || _pending.Exists(p => p.Context?.RequestId == requestId)))
        {
            // The gateway retries the tokenize hop when a tokenizer does not acknowledge in time, so the same request
            // can arrive twice: the copy is dropped, not answered with an error that would end the running one.
            _logger.DuplicateRequest(requestId);
            return;
        }
        if (_planner is not null)
        {
            await AdmitAsync(_planner, message, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_refuseForNoWorkers)
        {
            await _publisher.PublishErrorAsync(message, NoWorkersError(), cancellationToken).ConfigureAwait(false);
        }
        else if (_pending.Count >= _options.MaxWaiting)
        {
            var error = new OverloadedException($"The scheduler's waiting queue is full ({_options.MaxWaiting} requests).").ToError();
            await _publisher.PublishErrorAsync(message, error, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _pending.Add(message);
        }
    }

    public ValueTask OnCancelAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        CancelRequest? cancel = Parse(CancelRequest.Parser, payload, "cancel");
        string requestId = cancel?.Context?.RequestId ?? string.Empty;
        if (cancel is null || requestId.Length == 0)
        {
            return ValueTask.CompletedTask;
        }
        // A client that went away takes every choice with it, whatever index was sent.
        int choice = cancel.Reason == CancelReason.StopString ? cancel.ChoiceIndex : -1;
        FinishReason reason = cancel.Reason == CancelReason.StopString ? FinishReason.Stop : FinishReason.Abort;
        if (_planner is not null)
        {
            _planner.Cancel(requestId, choice, reason);
        }
        else
        {
            _pending.RemoveAll(p => p.Context?.RequestId == requestId);
        }
        return RunStepIfIdleAsync(cancellationToken);
    }

    public async ValueTask OnResultAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        StepResult? result = Parse(StepResult.Parser, payload, "result");
        if (result is not null && _publisher.TraceFingerprints)
        {
            _logger.StepResultReceived(result.StepId, payload.Length, PayloadFingerprint.Of(payload.Span));
        }
        if (result is null || _planner is null || !_planner.StepInFlight || result.StepId != _planner.OldestStepInFlight)
        {
            return; // a result from before a failure, or for a planner that no longer exists
        }
        if (result.Error is not null)
        {
            await FailAsync($"worker '{result.WorkerId}' failed step {result.StepId}: {result.Error.Message}", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (result.DescribeTokenMismatch() is { } mismatch)
        {
            await FailAsync($"worker '{result.WorkerId}' sent a malformed result for step {result.StepId}: {mismatch}", cancellationToken).ConfigureAwait(false);
            return;
        }
        _publisher.RecordResult(result);
        _planner.ApplyResult(result);
        _oldestStepSent = _newestStepSent;
        _registry.Heartbeat(result.WorkerId, _time.GetUtcNow());
        _counters.Steps++;
        await RunStepIfIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask OnWorkerMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        WorkerMessage? message = Parse(WorkerMessage.Parser, payload, "worker");
        if (message is null)
        {
            return;
        }
        DateTimeOffset now = _time.GetUtcNow();
        switch (message.BodyCase)
        {
            case WorkerMessage.BodyOneofCase.Hello:
                WorkerHello hello = message.Hello;
                WorkerChange change = _registry.Hello(hello, now);
                if (change == WorkerChange.Rejected)
                {
                    _logger.WorkerRejected(_registry.LastRejection ?? "inconsistent hello");
                    return;
                }
                if (change != WorkerChange.Refreshed)
                {
                    _logger.WorkerJoined(hello.WorkerId, hello.StageIndex, Math.Max(hello.StageCount, 1), hello.TpRank,
                        Math.Max(hello.TpSize, 1), hello.KvBlocks, hello.BlockSize, hello.MaxModelLen, hello.Device);
                }
                if (change == WorkerChange.Replaced && _planner is not null)
                {
                    await FailAsync($"worker '{hello.WorkerId}' replaced another on stage {hello.StageIndex}", cancellationToken).ConfigureAwait(false);
                    return;
                }
                if (_planner is null && _registry.IsReady)
                {
                    await ConfigureAsync(cancellationToken).ConfigureAwait(false);
                }
                break;
            case WorkerMessage.BodyOneofCase.Heartbeat:
                if (!_registry.Heartbeat(message.Heartbeat.WorkerId, now) && _planner is null && now - _lastRollCall >= RollCallRepeat)
                {
                    // A worker we do not know is alive: it missed our roll call (after a bus outage both sides reconnect
                    // in any order, and a roll call sent before the worker resubscribed reaches nobody). Ask again, but
                    // only while not serving: a roll call makes every worker drop its sequences.
                    _lastRollCall = now;
                    await _publisher.PublishRollCallAsync(cancellationToken).ConfigureAwait(false);
                }
                break;
            case WorkerMessage.BodyOneofCase.Goodbye:
                if (_registry.Goodbye(message.Goodbye.WorkerId) && _planner is not null)
                {
                    await FailAsync($"worker '{message.Goodbye.WorkerId}' left", cancellationToken).ConfigureAwait(false);
                }
                break;
            case WorkerMessage.BodyOneofCase.None:
                break;
        }
    }

    /// <summary>
    /// No detokenizer received a request's start or a step's batch for a shard (its process is gone): nothing those
    /// requests produce can reach their clients, so they fail now with a retryable error and their blocks are freed.
    /// </summary>
    public async ValueTask OnDetokUnreachableAsync(BusMessage message, CancellationToken cancellationToken)
    {
        if (message.Headers is not { StatusCode: 503 } || _planner is null || message.Subject.Length <= NoRespondersSubject.Length + 3)
        {
            return;
        }
        string rest = message.Subject[(NoRespondersSubject.Length + 1)..];
        int dot = rest.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return;
        }
        string kind = rest[..dot];
        string key = rest[(dot + 1)..];
        List<SchedulerRequest> lost = [];
        if (kind == SchedulerPublisher.RequestReplyToken && _planner.TryGetRequest(key, out SchedulerRequest request))
        {
            lost.Add(request);
        }
        else if (kind == SchedulerPublisher.ShardReplyToken
            && int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int shard))
        {
            lost.AddRange(_planner.Requests.Where(r => Subjects.DetokShardOf(r.RequestId, _options.DetokShards) == shard));
        }
        if (lost.Count == 0)
        {
            return;
        }
        var error = new Error
        {
            Code = ErrorCode.NoWorkers,
            Message = "No detokenizer is serving this request's shard right now; retry the request.",
            Retryable = true,
        };
        foreach (SchedulerRequest gone in lost)
        {
            _logger.DetokUnreachable(gone.RequestId);
            _planner.Cancel(gone.RequestId, -1, FinishReason.Abort);
            await _publisher.PublishErrorAsync(gone.Message, error, cancellationToken).ConfigureAwait(false);
        }
        await RunStepIfIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask OnTickAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (_planner is not null)
        {
            string? silent = _registry.FindSilent(now);
            if (silent is not null)
            {
                await FailAsync($"worker '{silent}' silent for more than {_options.WorkerTimeout.TotalSeconds:F1} s", cancellationToken).ConfigureAwait(false);
            }
            else if (_planner.StepInFlight && now - _oldestStepSent > _options.StepTimeout)
            {
                await FailAsync($"step {_planner.OldestStepInFlight} got no result within {_options.StepTimeout.TotalSeconds:F1} s", cancellationToken).ConfigureAwait(false);
            }
            else if (now - _lastDeadlineSweep >= TimeSpan.FromSeconds(1))
            {
                _lastDeadlineSweep = now;
                await ExpireDeadlinesAsync(now, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (!_refuseForNoWorkers && now - _notReadySince > _options.NoWorkersTimeout)
        {
            _refuseForNoWorkers = true;
            _logger.NoWorkers((now - _notReadySince).TotalSeconds, _pending.Count);
            foreach (ScheduleRequest message in _pending)
            {
                await _publisher.PublishErrorAsync(message, NoWorkersError(), cancellationToken).ConfigureAwait(false);
            }
            _pending.Clear();
        }

        if (now - _lastStatus >= _options.StatusInterval)
        {
            _lastStatus = now;
            await _publisher.PublishStatusAsync(BuildStatus(now), cancellationToken).ConfigureAwait(false);
        }
        if (now - _lastStatusLog >= _options.StatusLogInterval)
        {
            LogStatus(now - _lastStatusLog);
            _lastStatusLog = now;
        }
    }

    /// <summary>
    /// Plans and sends steps while fewer than the planner's limit are in flight (two with async scheduling), then
    /// sends the token deltas produced so far.
    /// </summary>
    public async ValueTask RunStepIfIdleAsync(CancellationToken cancellationToken)
    {
        if (_planner is null)
        {
            return;
        }
        while (_planner.CanPlan)
        {
            StepPlan? plan = _planner.PlanStep();
            if (plan is null)
            {
                break;
            }
            _newestStepSent = _time.GetUtcNow();
            if (_planner.StepsInFlight == 1)
            {
                _oldestStepSent = _newestStepSent;
            }
            await _publisher.PublishStepAsync(plan, cancellationToken).ConfigureAwait(false);
            if (_publisher.TraceFingerprints)
            {
                _logger.StepPlanSent(plan.StepId, _publisher.LastStepBytes, _publisher.LastStepFingerprint);
            }
        }
        // Deltas go after the next step is on its way: the workers compute while we fan out tokens.
        await _publisher.PublishOutputsAsync(_planner.Outputs, cancellationToken).ConfigureAwait(false);
        _planner.Outputs.Clear();
    }

    public SchedulerStatus BuildStatus(DateTimeOffset now)
    {
        var status = new SchedulerStatus
        {
            Model = _options.Model,
            ReplicaId = _options.ReplicaId,
            WorkersReady = _registry.WorkerCount,
            StagesExpected = _registry.StageCount,
            UnixMs = now.ToUnixTimeMilliseconds(),
            Serving = _planner is not null,
            Waiting = _pending.Count,
            MaxModelLen = _maxModelLen,
        };
        if (_planner is not null)
        {
            KvCacheManager cache = _planner.Cache;
            status.Running = _planner.RunningCount;
            status.Waiting = _planner.WaitingCount;
            status.KvCacheUsage = (float)cache.Usage;
            status.KvBlocksTotal = cache.NumBlocks;
            status.PrefixCacheQueries = (ulong)(_counters.PrefixQueries + cache.PrefixQueryTokens);
            status.PrefixCacheHits = (ulong)(_counters.PrefixHits + cache.PrefixHitTokens);
            status.PromptTokensTotal = (ulong)(_counters.PromptTokens + _planner.PromptTokensTotal);
            status.GenerationTokensTotal = (ulong)(_counters.GenerationTokens + _planner.GenerationTokensTotal);
            status.PreemptionsTotal = (ulong)(_counters.Preemptions + _planner.PreemptionsTotal);
        }
        return status;
    }

    private async ValueTask AdmitAsync(StepPlanner planner, ScheduleRequest message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(message.ReplySubject))
        {
            _logger.Malformed("schedule", "no reply subject");
            return;
        }
        SchedulerRequest request;
        try
        {
            request = planner.Add(message);
        }
        catch (SchedulingException e)
        {
            await _publisher.PublishErrorAsync(message, e.ToError(), cancellationToken).ConfigureAwait(false);
            return;
        }
        await _publisher.PublishStartAsync(request, _time.GetUtcNow().ToUnixTimeSeconds(), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask ConfigureAsync(CancellationToken cancellationToken)
    {
        WorkerCapacity capacity = _registry.Capacity();
        if (_options.BlockSize != 0 && capacity.BlockSize != _options.BlockSize)
        {
            _logger.BlockSizeMismatch(capacity.BlockSize, _options.BlockSize);
            return;
        }
        int blocks = _options.NumKvBlocksOverride > 0 ? Math.Min(_options.NumKvBlocksOverride, capacity.KvBlocks) : capacity.KvBlocks;
        int maxModelLen = _options.MaxModelLen > 0 ? Math.Min(_options.MaxModelLen, capacity.MaxModelLen) : capacity.MaxModelLen;
        int tokens = blocks * capacity.BlockSize;
        var cache = new KvCacheManager(blocks, capacity.BlockSize, _options.EnablePrefixCaching, (int)(blocks * _options.Watermark));
        var limits = new PlannerLimits
        {
            MaxNumSeqs = _options.MaxNumSeqs,
            MaxNumBatchedTokens = _options.MaxNumBatchedTokens,
            MaxModelLen = maxModelLen,
            MaxWaiting = _options.MaxWaiting,
            Policy = _options.Policy,
            EosTokenIds = capacity.EosTokenIds,
            MaxStepsInFlight = AsyncSchedulingApplies(capacity) ? 2 : 1,
        };
        _planner = new StepPlanner(cache, limits, _nextSequenceId, _lastStepId);
        _maxModelLen = maxModelLen;
        _refuseForNoWorkers = false;
        _logger.KvCacheReady(blocks, tokens, maxModelLen, (double)tokens / maxModelLen, capacity.StageCount, capacity.WorkerCount);
        _logger.StepsInFlight(limits.MaxStepsInFlight, limits.MaxStepsInFlight > 1 ? "on"
            : _options.AsyncScheduling ? "off: the model is split over several workers" : "off");
        if (tokens < maxModelLen)
        {
            _logger.CacheSmallerThanContext(tokens, maxModelLen);
        }

        foreach (ScheduleRequest message in _pending)
        {
            await AdmitAsync(_planner, message, cancellationToken).ConfigureAwait(false);
        }
        _pending.Clear();
        await RunStepIfIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The workers' KV (or a worker) is gone: every request this replica holds fails with a retryable error,
    /// all blocks are dropped, and serving resumes only when every stage has announced itself again.
    /// </summary>
    private async ValueTask FailAsync(string reason, CancellationToken cancellationToken)
    {
        StepPlanner? planner = _planner;
        List<SchedulerRequest> requests = planner is null ? [] : [.. planner.Requests];
        _logger.ReplicaFailed(reason, requests.Count + _pending.Count);
        var error = new Error { Code = ErrorCode.WorkerFailed, Message = $"The model replica failed ({reason}); retry the request.", Retryable = true };
        if (planner is not null)
        {
            // Tokens already produced still reach the client before the error.
            await _publisher.PublishOutputsAsync(planner.Outputs, cancellationToken).ConfigureAwait(false);
            _counters.Absorb(planner);
            _nextSequenceId = planner.NextSequenceId;
            _lastStepId = planner.StepId;
        }
        foreach (SchedulerRequest request in requests)
        {
            await _publisher.PublishErrorAsync(request.Message, error, cancellationToken).ConfigureAwait(false);
            await _publisher.PublishAbortAsync(request, error, cancellationToken).ConfigureAwait(false);
        }
        foreach (ScheduleRequest message in _pending)
        {
            await _publisher.PublishErrorAsync(message, error, cancellationToken).ConfigureAwait(false);
        }
        _pending.Clear();
        _planner = null;
        _registry.Clear();
        _notReadySince = _time.GetUtcNow();
        await _publisher.PublishRollCallAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask ExpireDeadlinesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        long nowMs = now.ToUnixTimeMilliseconds();
        List<SchedulerRequest>? expired = null;
        foreach (SchedulerRequest request in _planner!.Requests)
        {
            long deadline = request.Message.Context?.DeadlineUnixMs ?? 0;
            if (deadline > 0 && deadline < nowMs)
            {
                (expired ??= []).Add(request);
            }
        }
        if (expired is null)
        {
            return;
        }
        var error = new Error { Code = ErrorCode.Timeout, Message = "The request passed its deadline before it finished." };
        foreach (SchedulerRequest request in expired)
        {
            _planner.Cancel(request.RequestId, -1, FinishReason.Abort);
            await _publisher.PublishErrorAsync(request.Message, error, cancellationToken).ConfigureAwait(false);
        }
        await RunStepIfIdleAsync(cancellationToken).ConfigureAwait(false);
    }

    private void LogStatus(TimeSpan elapsed)
    {
        if (_planner is null)
        {
            return;
        }
        KvCacheManager cache = _planner.Cache;
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        long prompt = _planner.PromptTokensTotal;
        long generation = _planner.GenerationTokensTotal;
        double hitRate = cache.PrefixQueryTokens == 0 ? 0 : 100.0 * cache.PrefixHitTokens / cache.PrefixQueryTokens;
        _logger.Status(_planner.RunningCount, _planner.WaitingCount, 100 * cache.Usage, hitRate,
            (prompt - _counters.LoggedPrompt) / seconds, (generation - _counters.LoggedGeneration) / seconds, _planner.PreemptionsTotal);
        _counters.LoggedPrompt = prompt;
        _counters.LoggedGeneration = generation;
    }

    // The worker feeds its own sampled token into a step planned ahead, so it must both embed and sample: one worker.
    private bool AsyncSchedulingApplies(WorkerCapacity capacity) =>
        _options.AsyncScheduling && capacity.StageCount == 1 && capacity.WorkerCount == 1;

    private Error NoWorkersError() => new()
    {
        Code = ErrorCode.NoWorkers,
        Message = $"No workers of model '{_options.Model}' replica '{_options.ReplicaId}' are available.",
        Retryable = true,
    };

    private T? Parse<T>(MessageParser<T> parser, ReadOnlyMemory<byte> payload, string kind)
        where T : class, IMessage<T>
    {
        try
        {
            return parser.ParseFrom(payload.Span);
        }
        catch (Exception e) when (MalformedPayload.Is(e))
        {
            _logger.Malformed(kind, e.Message);
            return null;
        }
    }

    /// <summary>Totals carried over from planners that were dropped after a failure, so status counters stay monotonic.</summary>
    private sealed class StatusCounters
    {
        public long Steps { get; set; }

        public long PrefixQueries { get; private set; }

        public long PrefixHits { get; private set; }

        public long PromptTokens { get; private set; }

        public long GenerationTokens { get; private set; }

        public long Preemptions { get; private set; }

        public long LoggedPrompt { get; set; }

        public long LoggedGeneration { get; set; }

        public void Absorb(StepPlanner planner)
        {
            PrefixQueries += planner.Cache.PrefixQueryTokens;
            PrefixHits += planner.Cache.PrefixHitTokens;
            PromptTokens += planner.PromptTokensTotal;
            GenerationTokens += planner.GenerationTokensTotal;
            Preemptions += planner.PreemptionsTotal;
            LoggedPrompt = 0;
            LoggedGeneration = 0;
        }
    }
}
