using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Engine;
using LlmServe.Inference.Sampling;

namespace LlmServe.Worker.Tests.Replay;

/// <summary>
/// Step plans recorded from live runs of <c>ContinuousBatchingTests</c> (scheduler and workers as processes over
/// nats-server, so with the arrivals and results interleaved as they really were), replayed through stage runtimes in
/// process. Every step must sample what the live worker sent, the scheduler must have received those very bytes, and
/// every sequence must end with its alone output. Set LLMSERVE_REPLAY_LOG (and LLMSERVE_REPLAY_STAGES) to a traced
/// failure's log to check it the same way: a step that samples differently from the live worker puts the fault in the
/// live worker; a result received with other bytes, on the way; a replay that differs from alone, in the plans.
/// </summary>
/// <remarks>The fixtures hold the Trace lines of the demo model written with seed 11; regenerate them if that model changes.</remarks>
public sealed class RecordedRunReplayTests : IDisposable
{
    private readonly string _modelDirectory = Path.Combine(Path.GetTempPath(), "llmserve-worker-tests", Guid.NewGuid().ToString("N"));

    public static TheoryData<string, int> Recordings()
    {
        var data = new TheoryData<string, int>
        {
            { Fixture("batching-1-stages-async.log"), 1 },
            { Fixture("batching-1-stages-sync.log"), 1 },
            { Fixture("batching-2-stages-async.log"), 2 },
        };
        if (Environment.GetEnvironmentVariable("LLMSERVE_REPLAY_LOG") is { Length: > 0 } extra)
        {
            data.Add(extra, int.Parse(Environment.GetEnvironmentVariable("LLMSERVE_REPLAY_STAGES") ?? "1", System.Globalization.CultureInfo.InvariantCulture));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public void A_recorded_run_replays_to_the_live_workers_tokens_and_every_sequence_to_its_alone_output(string path, int stages)
    {
        LlmServe.AllInOne.Demo.DemoModelWriter.Write(_modelDirectory, seed: 11);
        var log = RecordedStepLog.Read(File.ReadLines(path));
        Assert.NotEmpty(log.Plans);
        Assert.Equal(log.Plans.Count, log.ResultsSent.Count);

        var replay = new StepLogReplayer(_modelDirectory, stages);
        replay.Run(log);

        var problems = new List<string>();
        problems.AddRange(log.ConflictingPlans.Select(step => $"step {step}: the stages logged different plans"));
        ulong expected = log.Plans.Keys.First();
        foreach (ulong step in log.Plans.Keys)
        {
            if (step != expected)
            {
                problems.Add($"steps {expected}..{step - 1} missing from the log");
            }
            expected = step + 1;
            var live = StepLogReplayer.Tokens(log.ResultsSent[step]);
            if (!live.SequenceEqual(replay.SampledBySteps[step]))
            {
                problems.Add($"step {step}: live worker sampled [{string.Join(",", live)}], replay [{string.Join(",", replay.SampledBySteps[step])}]");
            }
            if (!log.FingerprintsReceived.TryGetValue(step, out string? received) || received != log.FingerprintsSent[step])
            {
                problems.Add($"step {step}: result sent with fingerprint {log.FingerprintsSent[step]}, received {received ?? "never"}");
            }
        }
        foreach (var (sequence, prompt) in replay.Prompts)
        {
            var outputs = replay.Outputs[sequence];
            var alone = Alone(prompt, outputs.Count);
            if (!alone.SequenceEqual(outputs))
            {
                problems.Add($"sequence {sequence} (prompt of {prompt.Length}): alone [{string.Join(",", alone)}], replay [{string.Join(",", outputs)}]");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private int[] Alone(int[] prompt, int maxTokens)
    {
        using var engine = LlmEngine.Load(_modelDirectory, new CpuBackend(new BackendOptions { Threads = 1 }), new LlmEngineOptions { NumKvBlocks = 64 });
        return [.. engine.Generate([prompt], new SamplingOptions { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true })[0].TokenIds];
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Replay", "Fixtures", name);

    public void Dispose()
    {
        if (Directory.Exists(_modelDirectory))
        {
            Directory.Delete(_modelDirectory, recursive: true);
        }
    }
}
