using LlmServe.Contracts;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;

namespace LlmServe.Worker.Tests.Replay;

/// <summary>
/// Runs a recorded run's plans, in step order, through fresh stage runtimes on the same model and cache geometry as
/// the test cluster, and keeps what they sample: per step, and per sequence with its prompt.
/// </summary>
internal sealed class StepLogReplayer(string modelDirectory, int stages)
{
    public Dictionary<ulong, List<(ulong Sequence, int Token)>> SampledBySteps { get; } = [];

    public Dictionary<ulong, int[]> Prompts { get; } = [];

    public Dictionary<ulong, List<int>> Outputs { get; } = [];

    public void Run(RecordedStepLog log)
    {
        var runtimes = Enumerable.Range(0, stages).Select(stage => new StageRuntime(
            LlamaModel.Load(modelDirectory, new CpuBackend(new BackendOptions { Threads = 1 }), new ModelLoadOptions
            {
                MaxBatchTokens = 512, MaxSeqs = 64, FirstLayer = stage, LayerCount = stages == 1 ? null : 1,
            }),
            kvBlocks: 2048, blockSize: 16, stageIndex: stage)).ToArray();
        try
        {
            foreach (var (stepId, plan) in log.Plans)
            {
                foreach (var sequence in plan.Sequences.Where(s => s.IsNew))
                {
                    Prompts[sequence.SequenceId] = [.. sequence.PromptTokenIds];
                    Outputs[sequence.SequenceId] = [.. sequence.ResumedOutputTokenIds];
                }
                HiddenStates? hidden = null;
                StageStepResult outcome = default!;
                foreach (var runtime in runtimes)
                {
                    outcome = runtime.Execute(plan, hidden);
                    hidden = outcome.Hidden;
                }
                var sampled = Tokens(outcome.Result!);
                SampledBySteps[stepId] = sampled;
                foreach (var (sequence, token) in sampled)
                {
                    Outputs[sequence].Add(token);
                }
            }
        }
        finally
        {
            foreach (var runtime in runtimes)
            {
                runtime.Dispose();
            }
        }
    }

    /// <summary>A result's tokens (packed and with logprobs) by sequence id.</summary>
    public static List<(ulong Sequence, int Token)> Tokens(StepResult result) =>
        [.. result.SampledSequenceIds.Zip(result.SampledTokenIds).Concat(result.Tokens.Select(t => (t.SequenceId, t.TokenId))).OrderBy(p => p.Item1)];
}
