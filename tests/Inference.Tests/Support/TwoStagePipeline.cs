using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;

namespace LlmServe.Inference.Tests.Support;

/// <summary>
/// A 4-layer model run whole on the plain CPU backend and as two 2-layer pipeline stages on the backends under test,
/// the first stage handing hidden + residual to the second: a prompt of one sequence, then one-token decodes. Every
/// step's logits of the stages must match the whole model's.
/// </summary>
internal static class TwoStagePipeline
{
    public static void AssertMatchesWhole(string modelDirectory, IBackend first, IBackend second, int maxRows, int promptTokens, int totalTokens,
                                          double tolerance)
    {
        var options = new ModelLoadOptions { MaxBatchTokens = maxRows, MaxSeqs = 4 };
        using var whole = LlamaModel.Load(modelDirectory, new CpuBackend(), options);
        using var stage0 = LlamaModel.Load(modelDirectory, first, options with { LayerCount = 2 });
        using var stage1 = LlamaModel.Load(modelDirectory, second, options with { FirstLayer = 2 });
        using var wholeCache = whole.AllocateKvCache(8);
        using var cache0 = stage0.AllocateKvCache(8);
        using var cache1 = stage1.AllocateKvCache(8);
        var builder = new StepBatchBuilder(maxRows, 4, 4, 16);
        var hidden = new float[maxRows * whole.HiddenSize];
        var residual = new float[maxRows * whole.HiddenSize];
        var expected = new float[whole.VocabSize];
        var actual = new float[whole.VocabSize];
        var tokens = Enumerable.Range(0, totalTokens).Select(i => (i * 7) % whole.VocabSize).ToArray();
        for (int start = 0; start < tokens.Length; start += start == 0 ? promptTokens : 1)
        {
            int n = start == 0 ? promptTokens : 1;
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
            LogitAssert.Close(expected, actual, tolerance, $"position {start}");
        }
    }
}
