using LlmServe.Inference.Backends;
using LlmServe.Inference.Models;

namespace LlmServe.Inference.Tests.Support;

/// <summary>Drives a <see cref="LlamaModel"/> step by step with hand-made block tables, for cache-layout tests.</summary>
internal sealed class ModelRunner
{
    private readonly LlamaModel _model;
    private readonly BackendKvCache _cache;
    private readonly StepBatchBuilder _builder;

    public ModelRunner(LlamaModel model, BackendKvCache cache, int maxBlocksPerSeq = 16)
    {
        _model = model;
        _cache = cache;
        _builder = new StepBatchBuilder(model.MaxBatchTokens, model.MaxSeqs, maxBlocksPerSeq, cache.Spec.BlockSize);
    }

    /// <summary>One step of several sequences: (tokens, start position, block table). Returns one logits row per sequence.</summary>
    public float[][] Step(params (int[] Tokens, int Start, int[] Blocks)[] seqs)
    {
        _builder.Clear();
        foreach (var (tokens, start, blocks) in seqs)
        {
            _builder.AddSequence(tokens, start, blocks, wantLogits: true);
        }

        _model.Forward(_builder.Build(), _cache);
        var all = new float[seqs.Length * _model.VocabSize];
        _model.ReadLogits(all);
        return Enumerable.Range(0, seqs.Length).Select(i => all.AsSpan(i * _model.VocabSize, _model.VocabSize).ToArray()).ToArray();
    }

    /// <summary>Prefills <paramref name="tokens"/> in chunks of <paramref name="chunk"/>; returns the last position's logits.</summary>
    public float[] Prefill(int[] tokens, int[] blocks, int chunk)
    {
        float[] last = [];
        for (int start = 0; start < tokens.Length; start += chunk)
        {
            int n = Math.Min(chunk, tokens.Length - start);
            last = Step((tokens[start..(start + n)], start, blocks))[0];
        }

        return last;
    }

    public static int[] Blocks(int first, int count) => Enumerable.Range(first, count).ToArray();
}
