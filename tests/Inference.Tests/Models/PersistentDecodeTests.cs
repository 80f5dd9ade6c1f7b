using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.Inference.Tests.Support;

namespace LlmServe.Inference.Tests.Models;

/// <summary>
/// One-token decode steps handed to a backend's persistent decode path (<see cref="LlmServe.Inference.Backends.IPersistentDecodeLayers"/>):
/// the model asks for it on one-row steps only, skips its own op sequence when the backend takes the step, tells each
/// pipeline stage whether its input is the embedding alone, and the logits are those of the op sequence.
/// </summary>
public sealed class PersistentDecodeTests
{
    private const int MaxRows = 64;

    // As FusedGateUpTests: the CPU backend's threaded sums vary ~1e-5 run to run; a wrong sequence is off by O(1).
    private const double Tolerance = 1e-4;

    public static TheoryData<ModelArchitecture> Architectures() =>
        new(ModelArchitecture.Llama, ModelArchitecture.Qwen2, ModelArchitecture.Qwen3, ModelArchitecture.Mistral);

    [Theory]
    [MemberData(nameof(Architectures))]
    public void One_token_steps_go_to_the_backend_and_give_the_op_sequence_logits(ModelArchitecture architecture)
    {
        using var tmp = new TempModel(TinyModelSpec.For(architecture, seed: 31));
        using var plain = Load(tmp.Directory, new CpuBackend());
        using var persistent = new FusingCpuBackend(maxFusedRows: 0, MaxRows, persistentDecode: true);
        using var model = Load(tmp.Directory, persistent);
        var expected = Run(plain, out _);
        var actual = Run(model, out var persistentSteps);
        // A 1-token prompt and 6 decodes are one-row steps; the 7-token prompt is not.
        Assert.Equal(7, persistent.PersistentCalls);
        Assert.Equal(7, persistentSteps);
        Assert.All(persistent.PersistentInputs, Assert.True);
        LogitAssert.Close(expected, actual, Tolerance, architecture.ToString());
    }

    [Fact]
    public void A_later_pipeline_stage_is_told_its_input_is_hidden_plus_residual()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Llama, seed: 32) with { NumLayers = 4 });
        using var first = new FusingCpuBackend(maxFusedRows: 0, MaxRows, persistentDecode: true);
        using var second = new FusingCpuBackend(maxFusedRows: 0, MaxRows, persistentDecode: true);
        TwoStagePipeline.AssertMatchesWhole(tmp.Directory, first, second, MaxRows, promptTokens: 10, totalTokens: 16, Tolerance);
        Assert.Equal(6, first.PersistentCalls);
        Assert.Equal(6, second.PersistentCalls);
        Assert.All(first.PersistentInputs, Assert.True);
        Assert.All(second.PersistentInputs, Assert.False);
    }

    private static LlamaModel Load(string dir, LlmServe.Inference.Backends.IBackend backend) =>
        LlamaModel.Load(dir, backend, new ModelLoadOptions { MaxBatchTokens = MaxRows, MaxSeqs = 4 });

    // A 7-token prompt then 3 decodes of sequence 0, a 1-token prompt and 3 decodes of sequence 1: every step's logits.
    private static List<float> Run(LlamaModel model, out int persistentSteps)
    {
        using var cache = model.AllocateKvCache(8);
        var runner = new ModelRunner(model, cache);
        var all = new List<float>();
        persistentSteps = 0;
        var prompt = Enumerable.Range(0, 7).Select(i => (i * 5 + 1) % model.VocabSize).ToArray();
        all.AddRange(runner.Step((prompt, 0, [0]))[0]);
        for (int i = 0; i < 3; i++)
        {
            all.AddRange(runner.Step(([(i * 3) + 1], 7 + i, [0]))[0]);
            persistentSteps += model.LastStepPersistent ? 1 : 0;
        }

        for (int i = 0; i < 4; i++)
        {
            all.AddRange(runner.Step(([(i * 5) + 2], i, [1]))[0]);
            persistentSteps += model.LastStepPersistent ? 1 : 0;
        }

        return all;
    }
}
