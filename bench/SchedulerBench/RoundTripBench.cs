using System.Diagnostics;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.Scheduler.Service;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmServe.SchedulerBench;

/// <summary>
/// The whole scheduler service over a bus with a no-op worker on its own connection: per step the plan goes
/// out, the worker parses it and answers one token per sequence, the scheduler applies it, fans out token
/// deltas to the detokenizer subject, and plans the next step. Steps per second at steady-state decode. With async
/// scheduling the next plan goes out before the current result is in, so the time per step is the slowest of the
/// scheduler's work and the worker's round trip instead of their sum.
/// </summary>
internal static class RoundTripBench
{
    private const string Model = "bench-model";
    private const string Replica = "r0";

    public sealed record Result(string Bus, int StepsInFlight, int Sequences, long Steps, double Seconds, double MicrosPerStep, double WorkerParseMicros, int PlanBytes);

    public static async Task<Result> RunAsync(string busName, IMessageBus schedulerBus, IMessageBus workerBus, int sequences, TimeSpan duration,
        bool asyncScheduling)
    {
        var options = new SchedulerOptions
        {
            Model = Model,
            ReplicaId = Replica,
            MaxNumSeqs = sequences,
            MaxWaiting = sequences * 2,
            WorkerTimeout = TimeSpan.FromSeconds(30),
            StepTimeout = TimeSpan.FromSeconds(30),
            AsyncScheduling = asyncScheduling,
        };
        using var service = new SchedulerService(schedulerBus, Options.Create(options), TimeProvider.System, NullLogger<SchedulerService>.Instance);
        using var stop = new CancellationTokenSource();
        await service.StartAsync(stop.Token);
        await service.Subscribed;

        // A detokenizer must be listening: deltas to a shard nobody serves end their requests (no-responders).
        await using IBusSubscription detok = await workerBus.SubscribeAsync(Subjects.Detok(Model, 0), cancellationToken: stop.Token);
        Task detokTask = DrainAsync(detok, stop.Token);
        var worker = new NoOpWorker(workerBus, Model, Replica, kvBlocks: sequences * 12_600);
        Task workerTask = worker.RunAsync(stop.Token);
        await worker.Started;
        while (!service.Engine.IsServing)
        {
            await Task.Delay(10);
        }

        var random = new Random(3);
        for (int i = 0; i < sequences; i++)
        {
            var request = new ScheduleRequest
            {
                Context = new RequestContext { RequestId = $"rt-{i}" },
                // Far more steps than a warm-up plus a 5 s window can run even at 50 µs a step: no sequence may finish inside it.
                Sampling = new SamplingParams { IgnoreEos = true, MaxTokens = 200_000 },
                ReplySubject = $"_LLM_REPLY.bench.{i}",
            };
            for (int t = 0; t < 128; t++)
            {
                request.PromptTokenIds.Add(random.Next(1, 32000));
            }
            await schedulerBus.PublishAsync(Subjects.Schedule(Model), request.ToByteArray());
        }

        // Steady state: everything admitted and prefilled, then let the JIT settle.
        while (service.Engine.Planner is not { } p || p.RunningCount < sequences || p.WaitingCount > 0)
        {
            await Task.Delay(20);
        }
        await Task.Delay(1000);

        ulong firstStep = service.Engine.Planner!.StepId;
        worker.ResetStats();
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        ulong lastStep = service.Engine.Planner!.StepId;
        double seconds = clock.Elapsed.TotalSeconds;
        int runningAtEnd = service.Engine.Planner!.RunningCount;
        int inFlight = service.Engine.Planner!.Limits.MaxStepsInFlight;
        long steps = (long)(lastStep - firstStep);

        await stop.CancelAsync();
        await service.StopAsync(CancellationToken.None);
        try
        {
            await Task.WhenAll(workerTask, detokTask);
        }
        catch (OperationCanceledException)
        {
        }
        if (runningAtEnd != sequences)
        {
            throw new InvalidOperationException($"Only {runningAtEnd} of {sequences} sequences were still decoding at the end of the window.");
        }
        return new Result(busName, inFlight, sequences, steps, seconds, seconds * 1e6 / steps, worker.ParseMicros, worker.LastPlanBytes);
    }

    private static async Task DrainAsync(IBusSubscription subscription, CancellationToken cancellationToken)
    {
        await foreach (BusMessage _ in subscription.ReadAllAsync(cancellationToken))
        {
        }
    }

    /// <summary>Says hello, heartbeats, and answers each step with token 1 for every sampled sequence.</summary>
    private sealed class NoOpWorker(IMessageBus bus, string model, string replica, int kvBlocks)
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _parseTicks;
        private long _steps;

        public Task Started => _started.Task;

        /// <summary>Largest plan seen since the last reset.</summary>
        public int LastPlanBytes { get; private set; }

        public double ParseMicros => _steps == 0 ? 0 : _parseTicks * 1e6 / Stopwatch.Frequency / _steps;

        public void ResetStats()
        {
            Interlocked.Exchange(ref _parseTicks, 0);
            Interlocked.Exchange(ref _steps, 0);
            LastPlanBytes = 0;
        }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            await using IBusSubscription steps = await bus.SubscribeAsync(Subjects.Step(model, replica), cancellationToken: cancellationToken);
            var hello = new WorkerMessage
            {
                Hello = new WorkerHello { WorkerId = "noop", StageCount = 1, KvBlocks = kvBlocks, BlockSize = 16, MaxModelLen = 1 << 20, Device = "none" },
            };
            await bus.PublishAsync(Subjects.Workers(model, replica), hello.ToByteArray(), cancellationToken: cancellationToken);
            _started.TrySetResult();
            Task heartbeats = HeartbeatAsync(cancellationToken);

            string resultSubject = Subjects.Result(model, replica);
            var result = new StepResult { WorkerId = "noop" };
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
            await foreach (BusMessage message in steps.ReadAllAsync(cancellationToken))
            {
                // What the real worker does before its forward pass: parse the plan, then answer every
                // sampled row in the packed result arrays.
                long t0 = Stopwatch.GetTimestamp();
                StepPlan plan = StepPlan.Parser.ParseFrom(message.Payload.Span);
                result.StepId = plan.StepId;
                result.SampledSequenceIds.Clear();
                result.SampledTokenIds.Clear();
                for (int i = 0; i < plan.DecodeSequenceIds.Count; i++)
                {
                    result.SampledSequenceIds.Add(plan.DecodeSequenceIds[i]);
                    result.SampledTokenIds.Add(1);
                }
                foreach (ScheduledSequence s in plan.Sequences)
                {
                    if (s.Sample)
                    {
                        result.SampledSequenceIds.Add(s.SequenceId);
                        result.SampledTokenIds.Add(1);
                    }
                }
                buffer.ResetWrittenCount();
                result.WriteTo(buffer);
                Interlocked.Add(ref _parseTicks, Stopwatch.GetTimestamp() - t0);
                Interlocked.Increment(ref _steps);
                LastPlanBytes = Math.Max(LastPlanBytes, message.Payload.Length);
                await bus.PublishAsync(resultSubject, buffer.WrittenMemory, cancellationToken: cancellationToken);
            }
            await heartbeats;
        }

        private async Task HeartbeatAsync(CancellationToken cancellationToken)
        {
            byte[] beat = new WorkerMessage { Heartbeat = new WorkerHeartbeat { WorkerId = "noop" } }.ToByteArray();
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken))
                {
                    await bus.PublishAsync(Subjects.Workers(model, replica), beat, cancellationToken: cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
