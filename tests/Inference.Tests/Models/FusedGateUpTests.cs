using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.Inference.Tests.Support;

namespace LlmServe.Inference.Tests.Models;

/// <summary>
/// The model's fused call sequence (gate_up and SiLU-and-mul as one call) on a backend whose fused op is its own
/// unfused calls: logits must match the unfused model's, for whole models and pipeline stages, in steps that fuse and
/// steps that do not.
/// </summary>
public sealed class FusedGateUpTests
{
    private const int MaxRows = 64;

    // The CPU backend's threaded sums are not bit-reproducible run to run (up to ~1e-5 relative on these logits, as the
    // paged-cache tests allow 1e-4); a wrong call sequence is off by O(1).
    private const double Tolerance = 1e-4;

    public static TheoryData<ModelArchitecture> Architectures() =>
        new(ModelArchitecture.Llama, ModelArchitecture.Qwen2, ModelArchitecture.Qwen3, ModelArchitecture.Mistral);

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Fused_steps_give_the_unfused_logits(ModelArchitecture architecture)
    {
        using var tmp = new TempModel(TinyModelSpec.For(architecture, seed: 21));
        using var plain = Load(tmp.Directory, new CpuBackend());
        using var fusing = new FusingCpuBackend(maxFusedRows: 4, MaxRows);
        using var fused = Load(tmp.Directory, fusing);
        var expected = Run(plain);
        int before = fusing.FusedCalls;
        var actual = Run(fused);
        Assert.True(fusing.FusedCalls > before, "no step used the fused gate-up");
        LogitAssert.Close(expected, actual, Tolerance, architecture.ToString());
    }

    [Fact]
    public void Pipeline_stages_fuse_and_hand_over_hidden_and_residual()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Llama, seed: 22) with { NumLayers = 4 });
        using var fusing = new FusingCpuBackend(maxFusedRows: 4, MaxRows);

        // A 12-token prefill (unfused: more rows than the backend fuses), then one-token decodes (fused).
        TwoStagePipeline.AssertMatchesWhole(tmp.Directory, fusing, fusing, MaxRows, promptTokens: 12, totalTokens: 20, Tolerance);
        Assert.True(fusing.FusedCalls > 0);
    }

    private static LlamaModel Load(string dir, LlmServe.Inference.Backends.IBackend backend) =>
        LlamaModel.Load(dir, backend, new ModelLoadOptions { MaxBatchTokens = MaxRows, MaxSeqs = 4 });

    // Two sequences: prefills of 9 and 3 tokens (12 rows together: unfused), then decodes of both (2 rows: fused),
    // then one alone; every step's logits, concatenated.
    private static List<float> Run(LlamaModel model)
    {
        using var cache = model.AllocateKvCache(8);
        var runner = new ModelRunner(model, cache);
        var a = Enumerable.Range(0, 9).Select(i => (i * 5 + 1) % model.VocabSize).ToArray();
        var b = Enumerable.Range(0, 3).Select(i => (i * 11 + 2) % model.VocabSize).ToArray();
        var all = new List<float>();
        foreach (var row in runner.Step((a, 0, [0]), (b, 0, [1])))
        {
            all.AddRange(row);
        }

        for (int i = 0; i < 5; i++)
        {
            foreach (var row in runner.Step(([(i * 3) + 1], 9 + i, [0]), ([(i * 5) + 2], 3 + i, [1])))
            {
                all.AddRange(row);
            }
        }

        all.AddRange(runner.Step(([4], 14, [0]))[0]);
        return all;
    }
}
