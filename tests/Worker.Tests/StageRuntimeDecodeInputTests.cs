using LlmServe.Contracts;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;

namespace LlmServe.Worker.Tests;

/// <summary>
/// The stage that samples knows the token it sampled for each sequence: a decode row that names a different input
/// fails the step (a retryable error upstream) instead of silently computing from a wrong context.
/// </summary>
public sealed class StageRuntimeDecodeInputTests : IDisposable
{
    private readonly string _modelDirectory = Path.Combine(Path.GetTempPath(), "llmserve-worker-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_decode_input_that_is_the_workers_own_sample_runs()
    {
        using var runtime = NewRuntime(stages: 1, stage: 0);
        int sampled = Prefill(runtime);

        var result = runtime.Execute(Decode(stepId: 2, token: sampled), null).Result!;

        Assert.Equal([1UL], result.SampledSequenceIds);
    }

    [Fact]
    public void A_decode_input_other_than_the_workers_own_sample_fails_the_step()
    {
        using var runtime = NewRuntime(stages: 1, stage: 0);
        int sampled = Prefill(runtime);
        int other = (sampled + 1) % runtime.Model.VocabSize;

        var error = Assert.Throws<InvalidStepBatchException>(() => runtime.Execute(Decode(stepId: 2, token: other), null));

        Assert.Contains($"decode input {other} is not the token this worker sampled for it ({sampled})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_first_stage_that_does_not_sample_takes_the_decode_input_as_given()
    {
        using var runtime = NewRuntime(stages: 2, stage: 0);
        runtime.Execute(NewSequencePlan(), null);

        var outcome = runtime.Execute(Decode(stepId: 2, token: 7), null);

        Assert.NotNull(outcome.Hidden);
        Assert.Equal(1, outcome.Hidden!.Rows);
    }

    [Fact]
    public void The_last_of_two_stages_checks_the_decode_input_the_first_stage_embedded()
    {
        using var first = NewRuntime(stages: 2, stage: 0);
        using var last = NewRuntime(stages: 2, stage: 1);
        var hidden = first.Execute(NewSequencePlan(), null).Hidden;
        int sampled = last.Execute(NewSequencePlan(), hidden).Result!.SampledTokenIds[0];
        int other = (sampled + 1) % last.Model.VocabSize;

        hidden = first.Execute(Decode(stepId: 2, token: other), null).Hidden;
        var error = Assert.Throws<InvalidStepBatchException>(() => last.Execute(Decode(stepId: 2, token: other), hidden));

        Assert.Contains($"decode input {other} is not the token this worker sampled for it ({sampled})", error.Message, StringComparison.Ordinal);
    }

    private int Prefill(StageRuntime runtime)
    {
        var result = runtime.Execute(NewSequencePlan(), null).Result!;
        Assert.Equal([1UL], result.SampledSequenceIds);
        return result.SampledTokenIds[0];
    }

    private static StepPlan NewSequencePlan()
    {
        var sequence = new ScheduledSequence
        {
            SequenceId = 1,
            IsNew = true,
            StartPosition = 0,
            Sample = true,
            Sampling = new SamplingParams { Temperature = 0, TopP = 1, RepetitionPenalty = 1, MaxTokens = 8, IgnoreEos = true },
        };
        sequence.TokenIds.Add([5, 9, 2]);
        sequence.PromptTokenIds.Add([5, 9, 2]);
        sequence.NewBlockIds.Add(0);
        var plan = new StepPlan { StepId = 1 };
        plan.Sequences.Add(sequence);
        return plan;
    }

    private static StepPlan Decode(ulong stepId, int token)
    {
        var plan = new StepPlan { StepId = stepId };
        plan.DecodeSequenceIds.Add(1);
        plan.DecodeTokenIds.Add(token);
        plan.DecodePositions.Add(3);
        return plan;
    }

    private StageRuntime NewRuntime(int stages, int stage)
    {
        if (!Directory.Exists(_modelDirectory))
        {
            LlmServe.AllInOne.Demo.DemoModelWriter.Write(_modelDirectory, seed: 11);
        }
        var model = LlamaModel.Load(_modelDirectory, new CpuBackend(new BackendOptions { Threads = 1 }), new ModelLoadOptions
        {
            MaxBatchTokens = 64, MaxSeqs = 4, FirstLayer = stage, LayerCount = stages == 1 ? null : 1,
        });
        return new StageRuntime(model, kvBlocks: 16, blockSize: 16, stageIndex: stage);
    }

    public void Dispose()
    {
        if (Directory.Exists(_modelDirectory))
        {
            Directory.Delete(_modelDirectory, recursive: true);
        }
    }
}
