using LlmServe.Contracts;
using LlmServe.Inference.Models;
using LlmServe.Inference.Sampling;
using LlmServe.Worker.Tests.Support;

namespace LlmServe.Worker.Tests;

/// <summary>
/// A step whose rows the backend can draw itself (temperature, top-k, top-p, min-p, seed; no penalties, bias or
/// logprobs) is sampled where the logits are, with each row's seed and step; any other step keeps the host path.
/// </summary>
public sealed class StageRuntimeDeviceSamplingTests : IDisposable
{
    private readonly string _modelDirectory = Path.Combine(Path.GetTempPath(), "llmserve-worker-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void Rows_with_plain_sampling_options_are_drawn_by_the_backend_with_their_seed_and_step()
    {
        var (runtime, backend) = NewRuntime();
        using var _ = runtime;
        var plan = Plan(
            Sampled(1, new SamplingParams { Temperature = 0.8f, TopP = 0.9f, RepetitionPenalty = 1, Seed = 42, MaxTokens = 4 }),
            Sampled(2, new SamplingParams { Temperature = 1.2f, TopP = 1, TopK = 5, MinP = 0.01f, RepetitionPenalty = 1, Seed = 7, MaxTokens = 4 }),
            Sampled(3, new SamplingParams { Temperature = 0, TopP = 1, RepetitionPenalty = 1, MaxTokens = 4 }));

        var result = runtime.Execute(plan, null).Result!;

        var draws = Assert.Single(backend.SampleCalls);
        Assert.Equal(new DeviceDrawParams { Seed = 42, Step = 0, InverseTemperature = 1f / 0.8f, TopP = 0.9f }, draws[0]);
        Assert.Equal(new DeviceDrawParams { Seed = 7, Step = 0, InverseTemperature = 1f / 1.2f, TopK = 5, TopP = 1, MinP = 0.01f }, draws[1]);
        Assert.Equal(DeviceDrawParams.Greedy, draws[2]);
        int vocab = runtime.Model.VocabSize;
        float[] logits = new float[3 * vocab];
        runtime.Model.ReadLogits(logits);
        int[] expected = [.. Enumerable.Range(0, 3).Select(r => DeviceDraw.Draw(logits.AsSpan(r * vocab, vocab), draws[r]))];
        Assert.Equal(expected, result.SampledTokenIds);
        Assert.Equal([1UL, 2UL, 3UL], result.SampledSequenceIds);
    }

    [Fact]
    public void The_next_step_draws_with_the_next_step_index()
    {
        var (runtime, backend) = NewRuntime();
        using var _ = runtime;
        int first = runtime.Execute(Plan(Sampled(1, new SamplingParams { Temperature = 0.9f, TopP = 1, RepetitionPenalty = 1, Seed = 5, MaxTokens = 4 })), null).Result!.SampledTokenIds[0];

        var decode = new StepPlan { StepId = 2 };
        decode.DecodeSequenceIds.Add(1);
        decode.DecodeTokenIds.Add(first);
        decode.DecodePositions.Add(3);
        runtime.Execute(decode, null);

        Assert.Equal([0L, 1L], backend.SampleCalls.Select(c => c[0].Step));
    }

    [Fact]
    public void A_step_with_a_penalty_or_logprobs_row_samples_every_row_on_the_host()
    {
        var (runtime, backend) = NewRuntime();
        using var _ = runtime;
        var plan = Plan(
            Sampled(1, new SamplingParams { Temperature = 0.8f, TopP = 0.9f, RepetitionPenalty = 1, Seed = 42, MaxTokens = 4 }),
            Sampled(2, new SamplingParams { Temperature = 0.8f, TopP = 1, RepetitionPenalty = 1.3f, Seed = 1, MaxTokens = 4 }));

        var result = runtime.Execute(plan, null).Result!;

        Assert.Empty(backend.SampleCalls);
        Assert.Equal(2, result.SampledTokenIds.Count);

        runtime.Execute(Plan(Sampled(3, new SamplingParams { Temperature = 0.8f, TopP = 1, RepetitionPenalty = 1, Logprobs = true, MaxTokens = 4 })), null);
        Assert.Empty(backend.SampleCalls);
    }

    [Fact]
    public void A_step_of_only_plain_greedy_rows_keeps_the_arg_max_path_with_its_logprobs()
    {
        var (runtime, backend) = NewRuntime();
        using var _ = runtime;

        var result = runtime.Execute(Plan(Sampled(1, new SamplingParams { Temperature = 0, TopP = 1, RepetitionPenalty = 1, Logprobs = true, MaxTokens = 4 })), null).Result!;

        Assert.Empty(backend.SampleCalls);
        Assert.Equal(1, backend.ArgmaxCalls);
        Assert.True(float.IsFinite(Assert.Single(result.Tokens).Logprob.Logprob));
    }

    private static ScheduledSequence Sampled(ulong id, SamplingParams sampling)
    {
        var sequence = new ScheduledSequence { SequenceId = id, IsNew = true, StartPosition = 0, Sample = true, Sampling = sampling };
        sequence.TokenIds.Add([5, 9, (int)id]);
        sequence.PromptTokenIds.Add([5, 9, (int)id]);
        sequence.NewBlockIds.Add((int)id);
        return sequence;
    }

    private static StepPlan Plan(params ScheduledSequence[] sequences)
    {
        var plan = new StepPlan { StepId = 1 };
        plan.Sequences.Add(sequences);
        return plan;
    }

    private (StageRuntime Runtime, DeviceSamplingCpuBackend Backend) NewRuntime()
    {
        if (!Directory.Exists(_modelDirectory))
        {
            LlmServe.AllInOne.Demo.DemoModelWriter.Write(_modelDirectory, seed: 11);
        }

        var backend = new DeviceSamplingCpuBackend();
        var model = LlamaModel.Load(_modelDirectory, backend, new ModelLoadOptions { MaxBatchTokens = 64, MaxSeqs = 4 });
        return (new StageRuntime(model, kvBlocks: 16, blockSize: 16, stageIndex: 0), backend);
    }

    public void Dispose()
    {
        if (Directory.Exists(_modelDirectory))
        {
            Directory.Delete(_modelDirectory, recursive: true);
        }
    }
}
