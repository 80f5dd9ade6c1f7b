using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Engine;
using LlmServe.Inference.Models;
using LlmServe.Inference.Sampling;
using LlmServe.Scheduler.KvCache;
using LlmServe.Scheduler.Planning;

namespace LlmServe.Worker.Tests;

/// <summary>
/// The real planner feeding the real stage runtime and CPU model in process (no bus, no timing), with the workload of
/// <c>ContinuousBatchingTests</c> arriving between steps at random: lone arrivals, bursts, long gaps. Every request
/// must produce exactly what it produces alone, whatever the batches looked like. This pins the planner, the runtime's
/// step-plan deltas and the CPU forward pass together; a failure of the end-to-end test that this one does not share
/// lies in what is left: the bus, the services' event handling or timing.
/// </summary>
public sealed class StageRuntimeBatchingTests : IDisposable
{
    private readonly string _modelDirectory = Path.Combine(Path.GetTempPath(), "llmserve-worker-tests", Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)] // async scheduling: a step planned while the previous one runs, decode inputs deferred
    [InlineData(1, 2)] // two pipeline stages, the first one's activations passed to the second through their wire form
    public void Random_arrivals_give_every_request_its_alone_output(int stepsInFlight, int stages)
    {
        LlmServe.AllInOne.Demo.DemoModelWriter.Write(_modelDirectory, seed: 11);
        var random = new Random(43);
        var work = new List<(int[] Prompt, int MaxTokens)>();
        for (int i = 0; i < 64; i++)
        {
            int length = random.Next(1, 10) == 1 ? random.Next(100, 300) : random.Next(2, 40);
            work.Add((Enumerable.Range(0, length).Select(_ => random.Next(0, 256)).ToArray(), random.Next(2, 24)));
        }
        var alone = work.Select(w => Alone(w.Prompt, w.MaxTokens)).ToArray();

        var mismatches = new List<string>();
        for (int trial = 0; trial < 30; trial++)
        {
            var outputs = RunBatched(work, new Random(trial), stepsInFlight, stages);
            for (int i = 0; i < work.Count; i++)
            {
                if (!alone[i].SequenceEqual(outputs[i]))
                {
                    mismatches.Add($"trial {trial}, request {i}: alone {string.Join(",", alone[i])}, batched {string.Join(",", outputs[i])}");
                }
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private List<int>[] RunBatched(List<(int[] Prompt, int MaxTokens)> work, Random random, int stepsInFlight, int stages)
    {
        var runtimes = Enumerable.Range(0, stages).Select(stage => new StageRuntime(
            LlamaModel.Load(_modelDirectory, new CpuBackend(new BackendOptions { Threads = 1 }), new ModelLoadOptions
            {
                MaxBatchTokens = 512, MaxSeqs = 64, FirstLayer = stage, LayerCount = stages == 1 ? null : 1,
            }),
            kvBlocks: 2048, blockSize: 16, stageIndex: stage)).ToArray();
        try
        {
            return RunBatched(work, random, stepsInFlight, runtimes);
        }
        finally
        {
            foreach (var runtime in runtimes)
            {
                runtime.Dispose();
            }
        }
    }

    private static List<int>[] RunBatched(List<(int[] Prompt, int MaxTokens)> work, Random random, int stepsInFlight, StageRuntime[] runtimes)
    {
        var planner = new StepPlanner(new KvCacheManager(2048, 16, enablePrefixCaching: true, watermarkBlocks: 20),
            new PlannerLimits { MaxNumSeqs = 64, MaxNumBatchedTokens = 512, MaxModelLen = 4096, MaxStepsInFlight = stepsInFlight });
        var outputs = work.Select(_ => new List<int>()).ToArray();
        var results = new Queue<StepResult>();
        int next = 0;
        while (next < work.Count || planner.HasWork || results.Count > 0)
        {
            // Arrival patterns: a few at once, a trickle, a rare large burst, nothing.
            int mode = random.Next(0, 4);
            int arrivals = mode == 0 ? random.Next(1, 10) : mode == 1 ? random.Next(0, 2) : mode == 2 && random.Next(0, 8) == 0 ? random.Next(10, 40) : 0;
            for (int a = 0; a < arrivals && next < work.Count; a++, next++)
            {
                var message = new ScheduleRequest
                {
                    Context = new RequestContext { RequestId = next.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    Sampling = new SamplingParams { Temperature = 0, TopP = 1, RepetitionPenalty = 1, MaxTokens = work[next].MaxTokens, IgnoreEos = true },
                    N = 1,
                };
                message.PromptTokenIds.Add(work[next].Prompt);
                planner.Add(message);
            }
            while (planner.CanPlan && planner.PlanStep() is { } plan)
            {
                // Each stage gets the plan (and the previous stage's activations) over the bus: copies, as the services send them.
                HiddenStates? hidden = null;
                StageStepResult outcome = default!;
                foreach (var runtime in runtimes)
                {
                    outcome = runtime.Execute(StepPlan.Parser.ParseFrom(plan.ToByteArray()), hidden is null ? null : HiddenStates.Parser.ParseFrom(hidden.ToByteArray()));
                    hidden = outcome.Hidden;
                }
                results.Enqueue(outcome.Result!);
            }
            if (results.Count > 0)
            {
                planner.ApplyResult(results.Dequeue());
            }
            foreach (SequenceOutput o in planner.Outputs.Items)
            {
                if (o.HasToken)
                {
                    outputs[int.Parse(o.Sequence.Request.RequestId, System.Globalization.CultureInfo.InvariantCulture)].Add(o.TokenId);
                }
            }
            planner.Outputs.Clear();
        }
        return outputs;
    }

    private int[] Alone(int[] prompt, int maxTokens)
    {
        using var engine = LlmEngine.Load(_modelDirectory, new CpuBackend(new BackendOptions { Threads = 1 }), new LlmEngineOptions { NumKvBlocks = 64 });
        return [.. engine.Generate([prompt], new SamplingOptions { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true })[0].TokenIds];
    }

    public void Dispose()
    {
        if (Directory.Exists(_modelDirectory))
        {
            Directory.Delete(_modelDirectory, recursive: true);
        }
    }
}
