using System.Buffers;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.Scheduler.Planning;

namespace LlmServe.Scheduler.Service;

/// <summary>
/// Everything the scheduler sends: step plans, token deltas grouped per request, errors to reply subjects,
/// status and roll calls. Subjects are computed once; messages are serialized into one reused buffer.
/// Also the scheduler's side of per-hop timing (<see cref="RequestContext.Timing"/>): it remembers when each recent step
/// plan went out and when the last result came back, and stamps timed requests' deltas with them.
/// </summary>
internal sealed class SchedulerPublisher
{
    /// <summary>Token after <see cref="NoRespondersSubject"/> for one request's start delta.</summary>
    public const string RequestReplyToken = "r";

    /// <summary>Token after <see cref="NoRespondersSubject"/> for a shard's per-step batch.</summary>
    public const string ShardReplyToken = "s";

    private readonly IMessageBus _bus;
    private readonly string _model;
    private readonly string _stepSubject;
    private readonly string _statusSubject;
    private readonly string _rollCallSubject;
    private readonly string[] _detokSubjects;
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Dictionary<SchedulerRequest, TokenDelta> _deltas = [];
    private readonly List<TokenDelta> _deltaPool = [];
    private readonly List<ChoiceTokens> _choicePool = [];
    private readonly List<TokenDelta> _ordered = [];
    private readonly TokenDeltaBatch[] _shardBatches;
    private readonly TokenDeltaBatch _single = new();
    private readonly string[] _shardReplyTos;
    private readonly TimeProvider _time;
    // When recent plans went out, by step id modulo the ring's size (a power of two larger than the steps in flight).
    private readonly ulong[] _plannedStepIds = new ulong[PlannedRing];
    private readonly long[] _plannedAtUs = new long[PlannedRing];
    private ulong _resultStepId;
    private long _resultReceivedUs;
    private long _resultExecuteUs;
    private bool _timedDeltas;
    private int _deltasUsed;
    private int _choicesUsed;
    private const int PlannedRing = 8;

    public SchedulerPublisher(IMessageBus bus, SchedulerOptions options, TimeProvider? time = null)
    {
        _bus = bus;
        _time = time ?? TimeProvider.System;
        _model = options.Model;
        _stepSubject = Subjects.Step(options.Model, options.ReplicaId);
        _statusSubject = Subjects.Status(options.Model);
        _rollCallSubject = Subjects.RollCall(options.Model, options.ReplicaId);
        _detokSubjects = new string[options.DetokShards];
        _shardBatches = new TokenDeltaBatch[options.DetokShards];
        for (int shard = 0; shard < _detokSubjects.Length; shard++)
        {
            _detokSubjects[shard] = Subjects.Detok(options.Model, shard);
            _shardBatches[shard] = new TokenDeltaBatch();
        }
        SchedulerId = $"{options.ReplicaId}-{Environment.ProcessId}";
        NoRespondersSubject = Subjects.NoResponders("scheduler-" + SchedulerId);
        _shardReplyTos = new string[options.DetokShards];
        for (int shard = 0; shard < _shardReplyTos.Length; shard++)
        {
            _shardReplyTos[shard] = $"{NoRespondersSubject}.{ShardReplyToken}.{shard.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        }
    }

    public string SchedulerId { get; }

    /// <summary>Whether <see cref="PublishStepAsync"/> hashes each plan it sends (trace logging only: it reads every byte).</summary>
    public bool TraceFingerprints { get; set; }

    /// <summary><see cref="PayloadFingerprint"/> of the last plan sent, when <see cref="TraceFingerprints"/> is on.</summary>
    public ulong LastStepFingerprint { get; private set; }

    /// <summary>Size of the last plan sent.</summary>
    public int LastStepBytes { get; private set; }

    /// <summary>Where NATS reports a delta no detokenizer received: <c>{this}.r.{request}</c> (a start) or <c>{this}.s.{shard}</c> (a step's batch).</summary>
    public string NoRespondersSubject { get; }

    public ValueTask PublishStepAsync(StepPlan plan, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        plan.WriteTo(_buffer);
        // One clock read per step, timed requests or not: which requests a plan holds is the planner's business.
        int slot = (int)(plan.StepId % PlannedRing);
        _plannedStepIds[slot] = plan.StepId;
        _plannedAtUs[slot] = UnixMicros.Now(_time);
        LastStepFingerprint = TraceFingerprints ? PayloadFingerprint.Of(_buffer.WrittenSpan) : 0;
        LastStepBytes = _buffer.WrittenCount;
        return _bus.PublishAsync(_stepSubject, _buffer.WrittenMemory, cancellationToken: cancellationToken);
    }

    /// <summary>Stamps a timed request's arrival at the scheduler (the engine calls it as it reads a schedule request).</summary>
    public void StampReceived(ScheduleRequest message)
    {
        if (message.Context is { Timing: true })
        {
            (message.Timing ??= new RequestTiming()).SchedulerReceivedUs = UnixMicros.Now(_time);
        }
    }

    /// <summary>
    /// Notes a step result the engine is about to apply: the token deltas published next carry its step's times. The
    /// engine applies a result and publishes its deltas before it reads the next result, so "last result" is enough.
    /// </summary>
    public void RecordResult(StepResult result)
    {
        _resultStepId = result.StepId;
        _resultReceivedUs = UnixMicros.Now(_time);
        _resultExecuteUs = result.ExecuteMicros;
    }

    public ValueTask PublishRollCallAsync(CancellationToken cancellationToken) =>
        PublishAsync(_rollCallSubject, new WorkerRollCall { SchedulerId = SchedulerId }, cancellationToken);

    public ValueTask PublishStatusAsync(SchedulerStatus status, CancellationToken cancellationToken) =>
        PublishAsync(_statusSubject, status, cancellationToken);

    /// <summary>Tells the request's detokenizer shard what it needs to keep for the request.</summary>
    public ValueTask PublishStartAsync(SchedulerRequest request, long createdUnix, CancellationToken cancellationToken)
    {
        ScheduleRequest message = request.Message;
        var start = new DetokenizeStart
        {
            ReplySubject = message.ReplySubject,
            Params = message.Detokenize ?? new DetokenizeParams(),
            N = request.Sequences.Count,
            PromptTokens = message.PromptTokenIds.Count,
            Logprobs = message.Sampling.Logprobs,
            Model = _model,
            CreatedUnix = createdUnix,
        };
        if (message.Echo)
        {
            start.EchoPromptTokenIds.Add(message.PromptTokenIds);
        }
        if (message.Timing is { } timing)
        {
            timing.SchedulerAdmittedUs = UnixMicros.Now(_time);
        }
        var delta = new TokenDelta { Context = message.Context, Start = start };
        // NATS answers 503 on this reply-to at once when no detokenizer serves the request's shard (it died): the
        // engine then fails the request, so the client hears "unavailable" now instead of at its first-token timeout.
        return PublishOneDeltaAsync(request.RequestId, delta, cancellationToken,
            replyTo: $"{NoRespondersSubject}.{RequestReplyToken}.{Subjects.Token(request.RequestId)}");
    }

    /// <summary>Turns the planner's events into one token delta per request and sends them, one batch per detokenizer shard.</summary>
    public async ValueTask PublishOutputsAsync(StepOutputs outputs, CancellationToken cancellationToken)
    {
        if (outputs.IsEmpty)
        {
            return;
        }
        foreach (SequenceOutput output in outputs.Items)
        {
            TokenDelta delta = DeltaFor(output.Sequence.Request);
            ChoiceTokens choice = ChoiceFor(delta, output.Sequence.ChoiceIndex);
            if (output.HasToken)
            {
                if (delta.RequestTiming is not null && delta.StepTiming is null)
                {
                    delta.StepTiming = LastResultTiming();
                }
                choice.TokenIds.Add(output.TokenId);
                if (output.Logprob is not null)
                {
                    choice.Logprobs.Add(output.Logprob);
                }
            }
            if (output.FinishReason != FinishReason.None)
            {
                choice.FinishReason = output.FinishReason;
                choice.StopTokenId = output.StopTokenId;
            }
        }
        foreach (SchedulerRequest request in outputs.FinishedRequests)
        {
            TokenDelta delta = DeltaFor(request);
            delta.Finished = true;
            delta.Usage = new Usage
            {
                PromptTokens = request.PromptTokens,
                CompletionTokens = request.CompletionTokens,
                CachedPromptTokens = request.Sequences[0].CachedPromptTokens,
            };
        }
        try
        {
            foreach (TokenDelta delta in _ordered)
            {
                _shardBatches[Subjects.DetokShardOf(delta.Context.RequestId, _shardBatches.Length)].Deltas.Add(delta);
            }
            for (int shard = 0; shard < _shardBatches.Length; shard++)
            {
                if (_shardBatches[shard].Deltas.Count > 0)
                {
                    if (_timedDeltas)
                    {
                        StampPublished(_shardBatches[shard]);
                    }
                    // Every batch carries its shard's no-responders reply-to too: a detokenizer that dies mid-stream is
                    // noticed at the next step, and its requests fail at once instead of at the client's stall timeout.
                    await PublishAsync(_detokSubjects[shard], _shardBatches[shard], cancellationToken, _shardReplyTos[shard]).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (TokenDeltaBatch batch in _shardBatches)
            {
                batch.Deltas.Clear();
            }
            RecycleDeltas();
        }
    }

    /// <summary>A typed error to the client (reply subject), ending its stream.</summary>
    public ValueTask PublishErrorAsync(ScheduleRequest message, Error error, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(message.ReplySubject))
        {
            return ValueTask.CompletedTask;
        }
        var chunk = new ResponseChunk { Context = message.Context, Error = error, Done = true };
        return PublishAsync(message.ReplySubject, chunk, cancellationToken);
    }

    /// <summary>Tells the detokenizer a request it started is over, with the error, so it can drop its state.</summary>
    public ValueTask PublishAbortAsync(SchedulerRequest request, Error error, CancellationToken cancellationToken)
    {
        var delta = new TokenDelta { Context = request.Message.Context, Error = error, Finished = true };
        foreach (Sequence sequence in request.Sequences)
        {
            if (sequence.Status != SequenceStatus.Finished)
            {
                delta.Choices.Add(new ChoiceTokens { Index = sequence.ChoiceIndex, FinishReason = FinishReason.Abort });
            }
        }
        delta.Usage = new Usage { PromptTokens = request.PromptTokens, CompletionTokens = request.CompletionTokens };
        return PublishOneDeltaAsync(request.RequestId, delta, cancellationToken);
    }

    // The detokenizer subject carries batches only; a lone delta (start, abort) is a batch of one.
    private async ValueTask PublishOneDeltaAsync(string requestId, TokenDelta delta, CancellationToken cancellationToken, string? replyTo = null)
    {
        _single.Deltas.Add(delta);
        try
        {
            await PublishAsync(_detokSubjects[Subjects.DetokShardOf(requestId, _detokSubjects.Length)], _single, cancellationToken, replyTo).ConfigureAwait(false);
        }
        finally
        {
            _single.Deltas.Clear();
        }
    }

    private ValueTask PublishAsync(string subject, IMessage message, CancellationToken cancellationToken, string? replyTo = null)
    {
        _buffer.ResetWrittenCount();
        message.WriteTo(_buffer);
        return _bus.PublishAsync(subject, _buffer.WrittenMemory, string.IsNullOrEmpty(replyTo) ? null : replyTo, cancellationToken: cancellationToken);
    }

    private TokenDelta DeltaFor(SchedulerRequest request)
    {
        if (_deltas.TryGetValue(request, out TokenDelta? delta))
        {
            return delta;
        }
        if (_deltasUsed == _deltaPool.Count)
        {
            _deltaPool.Add(new TokenDelta());
        }
        delta = _deltaPool[_deltasUsed++];
        delta.Context = request.Message.Context;
        if (request.Message.Timing is { } timing)
        {
            delta.RequestTiming = timing;
            _timedDeltas = true;
        }
        _deltas.Add(request, delta);
        _ordered.Add(delta);
        return delta;
    }

    private StepTiming LastResultTiming()
    {
        int slot = (int)(_resultStepId % PlannedRing);
        return new StepTiming
        {
            StepId = _resultStepId,
            PlanPublishedUs = _plannedStepIds[slot] == _resultStepId ? _plannedAtUs[slot] : 0,
            WorkerExecuteUs = _resultExecuteUs,
            ResultReceivedUs = _resultReceivedUs,
        };
    }

    private void StampPublished(TokenDeltaBatch batch)
    {
        long now = UnixMicros.Now(_time);
        foreach (TokenDelta delta in batch.Deltas)
        {
            if (delta.StepTiming is { } step)
            {
                step.DeltaPublishedUs = now;
            }
        }
    }

    private ChoiceTokens ChoiceFor(TokenDelta delta, int index)
    {
        foreach (ChoiceTokens existing in delta.Choices)
        {
            if (existing.Index == index)
            {
                return existing;
            }
        }
        if (_choicesUsed == _choicePool.Count)
        {
            _choicePool.Add(new ChoiceTokens());
        }
        ChoiceTokens choice = _choicePool[_choicesUsed++];
        choice.Index = index;
        delta.Choices.Add(choice);
        return choice;
    }

    private void RecycleDeltas()
    {
        for (int i = 0; i < _deltasUsed; i++)
        {
            TokenDelta delta = _deltaPool[i];
            delta.Choices.Clear();
            delta.Context = null;
            delta.Usage = null;
            delta.Finished = false;
            if (_timedDeltas)
            {
                delta.RequestTiming = null;
                delta.StepTiming = null;
            }
        }
        _timedDeltas = false;
        for (int i = 0; i < _choicesUsed; i++)
        {
            ChoiceTokens choice = _choicePool[i];
            choice.TokenIds.Clear();
            choice.Logprobs.Clear();
            choice.FinishReason = FinishReason.None;
            choice.StopTokenId = 0;
        }
        _deltasUsed = 0;
        _choicesUsed = 0;
        _deltas.Clear();
        _ordered.Clear();
    }
}
