using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.Inference.Tests.Support;

namespace LlmServe.Inference.Tests.KvCache;

/// <summary>The paged KV cache gives the same logits however a sequence is split into steps, batched or laid out in blocks.</summary>
public sealed class PagedCacheTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<ModelArchitecture> Architectures() =>
        new(ModelArchitecture.Llama, ModelArchitecture.Qwen2, ModelArchitecture.Qwen3, ModelArchitecture.Mistral);

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Chunked_prefill_and_decode_match_one_prefill(ModelArchitecture architecture)
    {
        using var tmp = new TempModel(TinyModelSpec.For(architecture, seed: 7));
        using var model = Load(tmp.Directory);
        var tokens = Prompt(45, seed: 3);
        var reference = Run(model, r => r.Prefill(tokens, ModelRunner.Blocks(0, 4), tokens.Length));
        foreach (int chunk in new[] { 1, 5, 16, 17 })
        {
            var chunked = Run(model, r => r.Prefill(tokens, ModelRunner.Blocks(0, 4), chunk));
            LogitAssert.Close(reference, chunked, Tolerance, $"chunk {chunk}");
        }

        // Prefill 20, then decode the rest one token per step, checking every intermediate position too.
        using var cache = model.AllocateKvCache(8);
        var runner = new ModelRunner(model, cache);
        var blocks = new[] { 6, 2, 7 }; // non-contiguous on purpose
        runner.Prefill(tokens[..20], blocks, 20);
        float[] last = [];
        for (int pos = 20; pos < tokens.Length; pos++)
        {
            last = runner.Step((tokens[pos..(pos + 1)], pos, blocks))[0];
            if (pos == 31)
            {
                var prefix = Run(model, r => r.Prefill(tokens[..32], ModelRunner.Blocks(0, 2), 32));
                LogitAssert.Close(prefix, last, Tolerance, "decode at 31");
            }
        }

        LogitAssert.Close(reference, last, Tolerance, "decode one at a time");
    }

    [Fact]
    public void Sequences_batched_together_match_each_alone()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Qwen3, seed: 8));
        using var model = Load(tmp.Directory);
        var a = Prompt(30, 1);
        var b = Prompt(9, 2);
        var c = Prompt(18, 4);

        // Alone: a and c fully prefilled, b prefilled then decoding its last token.
        var aloneA = Run(model, r => r.Prefill(a, [0, 1], a.Length));
        var aloneB = Run(model, r => r.Prefill(b, [0], b.Length));
        var aloneC = Run(model, r => r.Prefill(c, [0, 1], c.Length));

        using var cache = model.AllocateKvCache(16);
        var runner = new ModelRunner(model, cache);
        runner.Step((b[..8], 0, [5]), (a[..10], 0, [3, 9]));

        // Mixed step: b decodes one token, a continues its prefill after a cached prefix, c starts from zero.
        var mixed = runner.Step((b[8..], 8, [5]), (a[10..], 10, [3, 9]), (c, 0, [12, 1]));
        LogitAssert.Close(aloneB, mixed[0], Tolerance, "b (decode)");
        LogitAssert.Close(aloneA, mixed[1], Tolerance, "a (prefill chunk after prefix)");
        LogitAssert.Close(aloneC, mixed[2], Tolerance, "c (whole prefill)");
    }

    [Fact]
    public void Shared_prefix_from_the_cache_matches_recomputation()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Llama, seed: 9));
        using var model = Load(tmp.Directory);
        var prefix = Prompt(32, 5); // two full blocks
        var first = prefix.Concat(Prompt(7, 6)).ToArray();
        var second = prefix.Concat(Prompt(11, 7)).ToArray();
        var recomputed = Run(model, r => r.Prefill(second, [0, 1, 2], second.Length));

        using var cache = model.AllocateKvCache(16);
        var runner = new ModelRunner(model, cache);
        runner.Prefill(first, [4, 8, 10], first.Length);

        // Share the prefix's block ids: only the suffix is computed.
        var shared = runner.Step((second[32..], 32, [4, 8, 11]))[0];
        LogitAssert.Close(recomputed, shared, Tolerance, "shared block ids");

        // Copy-on-write: copy the prefix blocks, then continue in the copies.
        model.Backend.CopyKvBlock(cache, 4, 13);
        model.Backend.CopyKvBlock(cache, 8, 14);
        var copied = runner.Step((second[32..], 32, [13, 14, 15]))[0];
        LogitAssert.Close(recomputed, copied, Tolerance, "copied blocks");
    }

    [Fact]
    public void Pipeline_stages_chained_through_host_buffers_match_the_whole_model()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Qwen2, seed: 10) with { NumLayers = 4 });
        using var whole = Load(tmp.Directory);
        var tokens = Prompt(21, 8);
        var reference = Run(whole, r => r.Prefill(tokens, [0, 1], tokens.Length));

        var backend = new CpuBackend();
        var options = new ModelLoadOptions { MaxBatchTokens = 64, MaxSeqs = 4 };
        using var stage0 = LlamaModel.Load(tmp.Directory, backend, options with { LayerCount = 1 });
        using var stage1 = LlamaModel.Load(tmp.Directory, backend, options with { FirstLayer = 1, LayerCount = 2 });
        using var stage2 = LlamaModel.Load(tmp.Directory, backend, options with { FirstLayer = 3 });
        Assert.True(stage0.IsFirstStage && !stage0.IsLastStage);
        Assert.True(!stage1.IsFirstStage && !stage1.IsLastStage);
        Assert.True(stage2.IsLastStage && !stage2.IsFirstStage);
        using var cache0 = stage0.AllocateKvCache(4);
        using var cache1 = stage1.AllocateKvCache(4);
        using var cache2 = stage2.AllocateKvCache(4);

        var builder = new LlmServe.Inference.Backends.StepBatchBuilder(64, 4, 4, 16);
        var hidden = new float[64 * whole.HiddenSize];
        var residual = new float[64 * whole.HiddenSize];
        var logits = new float[whole.VocabSize];
        for (int start = 0; start < tokens.Length; start += 8)
        {
            int n = Math.Min(8, tokens.Length - start);
            builder.Clear();
            builder.AddSequence(tokens.AsSpan(start, n), start, [0, 1], wantLogits: true);
            stage0.Forward(builder.Build(), cache0);
            stage0.ReadStageOutput(hidden, residual);
            stage1.SetStageInput(hidden, residual, n);
            stage1.Forward(builder.Build(), cache1);
            stage1.ReadStageOutput(hidden, residual);
            stage2.SetStageInput(hidden, residual, n);
            stage2.Forward(builder.Build(), cache2);
            stage2.ReadLogits(logits);
        }

        LogitAssert.Close(reference, logits, Tolerance, "three stages");
    }

    private static LlamaModel Load(string dir) =>
        LlamaModel.Load(dir, new CpuBackend(), new ModelLoadOptions { MaxBatchTokens = 64, MaxSeqs = 4 });

    private static float[] Run(LlamaModel model, Func<ModelRunner, float[]> body)
    {
        using var cache = model.AllocateKvCache(16);
        return body(new ModelRunner(model, cache));
    }

    private static int[] Prompt(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(3, 256)).ToArray();
    }
}
