using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Cuda.Backend;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Models;
using LlmServe.Messaging;
using LlmServe.Worker.Statistics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Worker;

/// <summary>
/// One worker process (one stage of one replica): loads its layers, announces itself and its KV capacity,
/// executes each step plan in order, and passes results on (activations to the next stage, sampled tokens
/// to the scheduler).
/// </summary>
internal sealed partial class WorkerService(IMessageBus bus, IOptions<WorkerOptions> options, ILogger<WorkerService> logger) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;
    private readonly StageInputInbox _inbox = new();
    // Step plans and roll calls, in arrival order, for the one loop that touches the stage runtime: a roll call's reset
    // must not run while a step executes on another thread.
    private readonly Channel<BusMessage> _work = Channel.CreateUnbounded<BusMessage>(); // not single-reader: RunStepsAsync reads Count
    private readonly string _workerId = string.IsNullOrWhiteSpace(options.Value.WorkerId)
        ? $"{Environment.MachineName}-{Environment.ProcessId}-{options.Value.StageIndex}"
        : options.Value.WorkerId!;
    private StageRuntime? _runtime;
    private ulong _lastStepId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _runtime = await Task.Run(LoadStage, stoppingToken);
        string model = _options.Model;
        string replica = _options.ReplicaId;
        await using var steps = await bus.SubscribeAsync(Subjects.Step(model, replica), cancellationToken: stoppingToken);
        await using var rollCalls = await bus.SubscribeAsync(Subjects.RollCall(model, replica), cancellationToken: stoppingToken);
        IBusSubscription? hidden = _options.StageIndex > 0
            ? await bus.SubscribeAsync(Subjects.Hidden(model, replica, _options.StageIndex), cancellationToken: stoppingToken)
            : null;
        await using var hiddenLifetime = hidden;
        await bus.FlushAsync(stoppingToken);
        await AnnounceAsync(stoppingToken);

        var tasks = new List<Task>
        {
            QueueStepsAsync(steps, stoppingToken),
            QueueRollCallsAsync(rollCalls, stoppingToken),
            RunStepsAsync(stoppingToken),
            HeartbeatAsync(stoppingToken),
        };
        if (hidden is not null)
        {
            tasks.Add(ReceiveActivationsAsync(hidden, stoppingToken));
        }
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            var goodbye = new WorkerMessage { Goodbye = new WorkerGoodbye { WorkerId = _workerId } };
            try
            {
                await bus.PublishAsync(Subjects.Workers(model, replica), goodbye.ToByteArray());
                await bus.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(2)).Token);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogGoodbyeFailed(logger, e.Message);
            }
        }
    }

    private StageRuntime LoadStage()
    {
        var clock = Stopwatch.StartNew();
        var config = ModelConfigReader.ReadModelConfig(_options.ModelDirectory);
        var partition = LayerPartition.For(config.NumLayers, _options.StageIndex, _options.StageCount, _options.LayerSplit);
        var backend = DeviceSelector.Create(_options.Device, _options.DeviceIndex, _options.Threads, logger);
        var model = LlamaModel.Load(_options.ModelDirectory, backend, new ModelLoadOptions
        {
            FirstLayer = partition.FirstLayer,
            LayerCount = partition.LayerCount,
            MaxBatchTokens = _options.MaxBatchTokens,
            MaxSeqs = _options.MaxSeqs,
            MaxModelLength = _options.MaxModelLen > 0 ? _options.MaxModelLen : null,
        });
        int blocks = _options.KvCacheBlocks;
        if (blocks == 0 && backend is CudaBackend cuda)
        {
            var spec = model.KvCacheSpec(1, _options.BlockSize);
            blocks = cuda.PlanKvBlocks(spec.NumLayers, _options.BlockSize, spec.NumKvHeads, spec.HeadDim, _options.GpuMemoryUtilization);
        }
        else if (blocks == 0)
        {
            long bytesPerBlock = model.KvCacheSpec(1, _options.BlockSize).Bytes(sizeof(float));
            blocks = (int)Math.Max(1, _options.KvCacheMemoryMiB * 1024L * 1024L / bytesPerBlock);
        }
        var runtime = new StageRuntime(model, blocks, _options.BlockSize, _options.StageIndex);
        LogLoaded(logger, _options.Model, _options.StageIndex, _options.StageCount, partition.FirstLayer,
            partition.FirstLayer + partition.LayerCount - 1, backend.Name, blocks, blocks * _options.BlockSize, clock.Elapsed.TotalSeconds);
        return runtime;
    }

    private async Task AnnounceAsync(CancellationToken cancellationToken)
    {
        var runtime = _runtime!;
        var hello = new WorkerHello
        {
            WorkerId = _workerId,
            StageIndex = _options.StageIndex,
            StageCount = _options.StageCount,
            FirstLayer = runtime.Model.FirstLayer,
            LayerCount = runtime.Model.LayerCount,
            TpRank = 0,
            TpSize = 1,
            KvBlocks = runtime.KvBlocks,
            BlockSize = runtime.BlockSize,
            MaxModelLen = runtime.Model.MaxModelLength,
            Device = runtime.Model.Backend.Name,
            VocabSize = runtime.Model.VocabSize,
        };
        hello.EosTokenIds.Add(runtime.Model.EosTokenIds);
        await bus.PublishAsync(Subjects.Workers(_options.Model, _options.ReplicaId), new WorkerMessage { Hello = hello }.ToByteArray(),
            cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Queues step plans for <see cref="RunStepsAsync"/>. With pipeline stages the scheduler keeps one step in flight
    /// per replica (two, with async scheduling, only when one worker holds the whole model), so a plan
    /// that arrives while this stage still waits for an earlier plan's activations means the earlier one is void (its
    /// scheduler gave up on it): the wait ends instead of holding every later step for StageInputTimeout.
    /// </summary>
    private async Task QueueStepsAsync(IBusSubscription steps, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in steps.ReadAllAsync(cancellationToken))
            {
                _inbox.Abandon();
                _work.Writer.TryWrite(message);
            }
        }
        finally
        {
            _work.Writer.TryComplete();
        }
    }

    /// <summary>
    /// A (re)started scheduler knows no sequences: the step loop forgets ours and announces capacity again, in order with
    /// the plans around it. A wait for activations of a step planned before the roll call ends now, or this stage would
    /// sit out the new steps until it timed out.
    /// </summary>
    private async Task QueueRollCallsAsync(IBusSubscription rollCalls, CancellationToken cancellationToken)
    {
        await foreach (var message in rollCalls.ReadAllAsync(cancellationToken))
        {
            _inbox.Abandon();
            _work.Writer.TryWrite(message);
        }
    }

    private async Task RunStepsAsync(CancellationToken cancellationToken)
    {
        var runtime = _runtime!;
        string resultSubject = Subjects.Result(_options.Model, _options.ReplicaId);
        string? nextStageSubject = runtime.Model.IsLastStage ? null : Subjects.Hidden(_options.Model, _options.ReplicaId, _options.StageIndex + 1);
        string rollCallSubject = Subjects.RollCall(_options.Model, _options.ReplicaId);
        var queue = _work;
        var statistics = new StepStatistics(_options.StepStatisticsInterval, Stopwatch.GetTimestamp());
        await foreach (var message in queue.Reader.ReadAllAsync(cancellationToken))
        {
            if (message.Subject == rollCallSubject)
            {
                runtime.Reset();
                Volatile.Write(ref _lastStepId, 0);
                await AnnounceAsync(cancellationToken);
                continue;
            }
            long generation = _inbox.Generation;
            StepPlan plan;
            try
            {
                plan = StepPlan.Parser.ParseFrom(message.Payload.Span);
            }
            catch (Exception e) when (MalformedPayload.Is(e))
            {
                LogUndecodable(logger, message.Subject, e.Message);
                continue;
            }

            bool trace = logger.IsEnabled(LogLevel.Trace);
            if (trace)
            {
                LogPlanReceived(logger, plan.StepId, message.Payload.Length, PayloadFingerprint.Of(message.Payload.Span));
                LogPlanBytes(logger, plan.StepId, Convert.ToBase64String(message.Payload.Span));
            }
            if (plan.StepId <= Volatile.Read(ref _lastStepId))
            {
                // Step ids only grow while one scheduler serves (a new one rolls call first, which resets this). A plan seen
                // again (the bus re-sends what a dropped connection may already have delivered) appends its blocks twice.
                LogStepOutOfOrder(logger, plan.StepId, _lastStepId);
            }
            var clock = Stopwatch.StartNew();
            try
            {
                HiddenStates? input = null;
                if (!runtime.Model.IsFirstStage && plan.RowCount > 0)
                {
                    if (queue.Reader.Count > 0)
                    {
                        throw new InvalidOperationException($"step {plan.StepId} was abandoned: a newer step plan is already queued");
                    }
                    input = await _inbox.TakeAsync(plan.StepId, generation, _options.StageInputTimeout, cancellationToken);
                    if (trace)
                    {
                        LogActivations(logger, "taken", plan.StepId, input.StepId, input.Rows, PayloadFingerprint.Of(input.Hidden.Span), PayloadFingerprint.Of(input.Residual.Span));
                    }
                }
                long executeStart = Stopwatch.GetTimestamp();
                var outcome = runtime.Execute(plan, input);
                long executeEnd = Stopwatch.GetTimestamp();
                Volatile.Write(ref _lastStepId, plan.StepId);
                RecordStep(statistics, plan, executeEnd - executeStart, executeEnd);
                if (outcome.Hidden is not null && nextStageSubject is not null)
                {
                    if (trace)
                    {
                        var sent = outcome.Hidden;
                        LogActivations(logger, "sent", plan.StepId, sent.StepId, sent.Rows, PayloadFingerprint.Of(sent.Hidden.Span), PayloadFingerprint.Of(sent.Residual.Span));
                    }
                    await bus.PublishAsync(nextStageSubject, outcome.Hidden.ToByteArray(), cancellationToken: cancellationToken);
                }
                else if (runtime.Model.IsLastStage)
                {
                    var result = outcome.Result ?? new StepResult { StepId = plan.StepId };
                    result.WorkerId = _workerId;
                    result.ExecuteMicros = (long)clock.Elapsed.TotalMicroseconds;
                    byte[] bytes = result.ToByteArray();
                    if (trace)
                    {
                        LogResultSent(logger, plan.StepId, bytes.Length, PayloadFingerprint.Of(bytes), Convert.ToBase64String(bytes));
                    }
                    await bus.PublishAsync(resultSubject, bytes, cancellationToken: cancellationToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogStepFailed(logger, e, plan.StepId);
                // The scheduler fails the step's requests; this stage forgets them all so nothing stale survives.
                runtime.Reset();
                var failure = new StepResult
                {
                    StepId = plan.StepId,
                    WorkerId = _workerId,
                    Error = new Error { Code = ErrorCode.WorkerFailed, Message = $"stage {_options.StageIndex} failed step {plan.StepId}: {e.Message}", Retryable = true },
                };
                await bus.PublishAsync(resultSubject, failure.ToByteArray(), cancellationToken: cancellationToken);
            }
        }
    }

    private async Task ReceiveActivationsAsync(IBusSubscription hidden, CancellationToken cancellationToken)
    {
        await foreach (var message in hidden.ReadAllAsync(cancellationToken))
        {
            try
            {
                _inbox.Post(HiddenStates.Parser.ParseFrom(message.Payload.Span));
            }
            catch (Exception e) when (MalformedPayload.Is(e))
            {
                LogUndecodable(logger, message.Subject, e.Message);
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        string subject = Subjects.Workers(_options.Model, _options.ReplicaId);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var beat = new WorkerMessage
            {
                Heartbeat = new WorkerHeartbeat { WorkerId = _workerId, LastStepId = _lastStepId, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
            };
            try
            {
                await bus.PublishAsync(subject, beat.ToByteArray(), cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bus outage must not end the worker; the next beat tries again.
                LogHeartbeatFailed(logger, e.Message);
            }
        }
    }

    public override void Dispose()
    {
        _runtime?.Dispose();
        base.Dispose();
    }

    private void RecordStep(StepStatistics statistics, StepPlan plan, long elapsedTicks, long now)
    {
        if (!statistics.Enabled)
        {
            return;
        }
        int chunkTokens = 0;
        var sequences = plan.Sequences;
        for (int i = 0; i < sequences.Count; i++)   // indexed: a RepeatedField's enumerator is a heap object, once a step
        {
            chunkTokens += sequences[i].TokenIds.Count;
        }
        statistics.Record(plan.DecodeSequenceIds.Count, chunkTokens, elapsedTicks);
        if (statistics.TryTakeReport(now, out var report))
        {
            LogStepStatistics(logger, _options.StageIndex, report.Steps, report.WindowSeconds, report.BusyPercent, report.MeanStepMilliseconds,
                report.LongestStepSeconds * 1000, report.DecodeRows, report.ChunkTokens, report.TokensPerSecond);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stage {Stage} steps: {Steps} in {WindowSeconds:0.0} s, busy {BusyPercent:0.0}%, mean {MeanStepMs:0.00} ms, longest {LongestStepMs:0.00} ms; {DecodeRows} decode rows + {ChunkTokens} chunk tokens = {TokensPerSecond:0} tokens/s")]
    private static partial void LogStepStatistics(ILogger logger, int stage, int steps, double windowSeconds, double busyPercent, double meanStepMs,
        double longestStepMs, long decodeRows, long chunkTokens, double tokensPerSecond);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker for {Model}: stage {Stage}/{Stages}, layers {First}-{Last} on {Device}; KV cache: {Blocks} blocks = {Tokens} tokens; loaded in {Seconds:0.0} s")]
    private static partial void LogLoaded(ILogger logger, string model, int stage, int stages, int first, int last, string device, int blocks, int tokens, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped an undecodable message on {Subject}: {Reason}")]
    private static partial void LogUndecodable(ILogger logger, string subject, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Step {StepId} failed")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, ulong stepId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step {StepId} arrived after step {LastStepId}: a repeated or out-of-order plan")]
    private static partial void LogStepOutOfOrder(ILogger logger, ulong stepId, ulong lastStepId);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Step {StepId} plan received: {Bytes} bytes, fingerprint {Fingerprint:x16}")]
    private static partial void LogPlanReceived(ILogger logger, ulong stepId, int bytes, ulong fingerprint);

    // The plan itself, so a run that went wrong can be replayed through a stage runtime in process. Token ids only:
    // plans carry no text.
    [LoggerMessage(Level = LogLevel.Trace, Message = "Step {StepId} plan bytes: {Base64}")]
    private static partial void LogPlanBytes(ILogger logger, ulong stepId, string base64);

    // The sampled token ids (no text), so a replay can tell a wrong sample here from a token changed on the way.
    [LoggerMessage(Level = LogLevel.Trace, Message = "Step {StepId} result sent: {Bytes} bytes, fingerprint {Fingerprint:x16}: {Base64}")]
    private static partial void LogResultSent(ILogger logger, ulong stepId, int bytes, ulong fingerprint, string base64);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Step {StepId} activations {Direction}: step {ActivationStepId}, {Rows} rows, hidden {Hidden:x16}, residual {Residual:x16}")]
    private static partial void LogActivations(ILogger logger, string direction, ulong stepId, ulong activationStepId, int rows, ulong hidden, ulong residual);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat not sent: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Goodbye not sent: {Reason}")]
    private static partial void LogGoodbyeFailed(ILogger logger, string reason);
}
