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
        using var whole = Load(tmp.Directory, new CpuBackend());
        using var first = new FusingCpuBackend(maxFusedRows: 0, MaxRows, persistentDecode: true);
        using var second = new FusingCpuBackend(maxFusedRows: 0, MaxRows, persistentDecode: true);
        var options = new ModelLoadOptions { MaxBatchTokens = MaxRows, MaxSeqs = 4 };
        using var stage0 = LlamaModel.Load(tmp.Directory, first, options with { LayerCount = 2 });
        using var stage1 = LlamaModel.Load(tmp.Directory, second, options with { FirstLayer = 2 });
        using var wholeCache = whole.AllocateKvCache(8);
        using var cache0 = stage0.AllocateKvCache(8);
        using var cache1 = stage1.AllocateKvCache(8);
        var builder = new LlmServe.Inference.Backends.StepBatchBuilder(MaxRows, 4, 4, 16);
        var hidden = new float[MaxRows * whole.HiddenSize];
        var residual = new float[MaxRows * whole.HiddenSize];
        var expected = new float[whole.VocabSize];
        var actual = new float[whole.VocabSize];
        var tokens = Enumerable.Range(0, 16).Select(i => (i * 7) % whole.VocabSize).ToArray();
        for (int start = 0; start < tokens.Length; start += start == 0 ? 10 : 1)
        {
            int n = start == 0 ? 10 : 1;
            builder.Clear();
            builder.AddSequence(tokens.AsSpan(start, n), start, [0, 1], wantLogits: true);
            var batch = builder.Build();
            whole.Forward(batch, wholeCache);
            whole.ReadLogits(expected);
            stage0.Forward(batch, cache0);
            stage0.ReadStageOutput(hidden, residual);
            stage1.SetStageInput(hidden, residual, n);
            stage1.Forward(batch, cache1);
            stage1.ReadLogits(actual);
            LogitAssert.Close(expected, actual, Tolerance, $"position {start}");
        }

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
