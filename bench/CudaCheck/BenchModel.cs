using LlmServe.Cuda.Backend;
using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;

namespace LlmServe.CudaCheck;

/// <summary>
/// A Llama-3.1-8B-shaped model with random bf16 weights made directly in GPU memory (nothing carried, nothing read
/// from disk). Its step issues the same backend calls in the same order as Inference's LlamaModel.Forward, so the
/// timings are those of the real decode/prefill path through <see cref="CudaBackend"/>.
/// </summary>
internal sealed class BenchModel : IDisposable
{
    public const int Hidden = 4096, Inter = 14336, Layers = 32, Heads = 32, KvHeads = 8, HeadDim = 128, Vocab = 128256;
    public const float Eps = 1e-5f;

    private readonly CudaBackend _b;
    private readonly List<CudaTensor> _owned = [];
    private readonly (CudaTensor InNorm, CudaTensor Qkv, CudaTensor O, CudaTensor PostNorm, CudaTensor GateUp, CudaTensor Down)[] _layers;
    private readonly CudaTensor _embed, _finalNorm, _lmHead, _cosSin;
    private readonly BackendTensor _hidden, _residual, _normed, _qkv, _attn, _gateUp, _act, _lh, _lr, _ln;

    public BenchModel(CudaBackend backend, Gpu gpu, int maxTokens, int maxSeqs, int maxModelLength)
    {
        _b = backend;
        Shape = new AttentionShape(Heads, KvHeads, HeadDim);
        ulong seed = 1;
        CudaTensor W(int rows, int cols, float scale)
        {
            var t = new CudaTensor(DeviceBuffer.Allocate(backend.Context, 2L * rows * cols), rows, cols, CudaDType.Bf16);
            gpu.Kernels.FillRandom(backend.Stream, t.Pointer, (long)rows * cols, seed++ * 0x1234567, scale);
            _owned.Add(t);
            WeightBytes += t.Bytes;
            return t;
        }

        _embed = W(Vocab, Hidden, 1f);
        WeightBytes -= _embed.Bytes; // a step reads a few embedding rows, not the table
        _layers = new (CudaTensor, CudaTensor, CudaTensor, CudaTensor, CudaTensor, CudaTensor)[Layers];
        for (int l = 0; l < Layers; l++)
        {
            _layers[l] = (W(1, Hidden, 1f), W(Shape.QkvWidth, Hidden, 0.02f), W(Hidden, Shape.QWidth, 0.02f), W(1, Hidden, 1f),
                W(2 * Inter, Hidden, 0.02f), W(Hidden, Inter, 0.02f));
        }

        _finalNorm = W(1, Hidden, 1f);
        _lmHead = W(Vocab, Hidden, 0.02f);
        MatmulParams = (long)Layers * ((long)Shape.QkvWidth * Hidden + (long)Hidden * Shape.QWidth + 2L * Inter * Hidden + (long)Hidden * Inter);
        var table = new float[(long)maxModelLength * HeadDim];
        for (int p = 0; p < maxModelLength; p++)
        {
            for (int i = 0; i < HeadDim / 2; i++)
            {
                double angle = p * Math.Pow(500000, -2.0 * i / HeadDim);
                table[((long)p * HeadDim) + i] = (float)Math.Cos(angle);
                table[((long)p * HeadDim) + (HeadDim / 2) + i] = (float)Math.Sin(angle);
            }
        }

        _cosSin = (CudaTensor)backend.UploadFloats(table, maxModelLength, HeadDim);
        _hidden = backend.Allocate(maxTokens, Hidden);
        _residual = backend.Allocate(maxTokens, Hidden);
        _normed = backend.Allocate(maxTokens, Hidden);
        _qkv = backend.Allocate(maxTokens, Shape.QkvWidth);
        _attn = backend.Allocate(maxTokens, Shape.QWidth);
        _gateUp = backend.Allocate(maxTokens, 2 * Inter);
        _act = backend.Allocate(maxTokens, Inter);
        _lh = backend.Allocate(maxSeqs, Hidden);
        _lr = backend.Allocate(maxSeqs, Hidden);
        _ln = backend.Allocate(maxSeqs, Hidden);
        Logits = backend.Allocate(maxSeqs, Vocab);
        backend.Synchronize();
    }

    public AttentionShape Shape { get; }

    /// <summary>Bytes a decode step must read: every layer weight, the final norm and the LM head.</summary>
    public long WeightBytes { get; private set; }

    /// <summary>Parameters in the per-token matrix products (the prefill FLOP count is 2 × this × tokens).</summary>
    public long MatmulParams { get; }

    public BackendTensor Logits { get; }

    public KvCacheSpec CacheSpec(int blocks) => new(Layers, blocks, 16, KvHeads, HeadDim);

    /// <summary>One step: the same calls, in the same order, as LlamaModel.Forward.</summary>
    public void Forward(in StepBatch batch, BackendKvCache cache)
    {
        int rows = batch.NumTokens;
        float scale = 1f / MathF.Sqrt(HeadDim);
        _b.PrepareStep(batch, cache);
        _b.Embedding(_embed, _residual);
        for (int i = 0; i < Layers; i++)
        {
            var l = _layers[i];
            if (i == 0)
            {
                _b.RmsNorm(_residual, l.InNorm, Eps, _normed, rows);
            }
            else
            {
                _b.AddRmsNorm(_hidden, _residual, l.InNorm, Eps, _normed, rows);
            }

            _b.Linear(_normed, l.Qkv, null, _qkv, rows);
            _b.RopeAndWriteKv(_qkv, Shape, _cosSin, cache, i);
            _b.Attention(_qkv, Shape, cache, i, scale, _attn);
            _b.Linear(_attn, l.O, null, _hidden, rows);
            _b.AddRmsNorm(_hidden, _residual, l.PostNorm, Eps, _normed, rows);
            _b.Linear(_normed, l.GateUp, null, _gateUp, rows);
            _b.SiluAndMul(_gateUp, _act, Inter, rows);
            _b.Linear(_act, l.Down, null, _hidden, rows);
        }

        int n = batch.NumLogitRows;
        _b.GatherLogitRows(_hidden, _lh);
        _b.GatherLogitRows(_residual, _lr);
        _b.AddRmsNorm(_lh, _lr, _finalNorm, Eps, _ln, n);
        _b.Linear(_ln, _lmHead, null, Logits, n);
    }

    /// <summary>Layer <paramref name="layer"/>'s projection: 0 qkv, 1 o_proj, 2 gate_up, 3 down.</summary>
    public CudaTensor Projection(int layer, int which) => which switch
    {
        0 => _layers[layer].Qkv,
        1 => _layers[layer].O,
        2 => _layers[layer].GateUp,
        _ => _layers[layer].Down,
    };

    // Exposed for the per-kernel table.
    public CudaTensor Layer0Qkv => _layers[0].Qkv;

    public CudaTensor Layer0O => _layers[0].O;

    public CudaTensor Layer0GateUp => _layers[0].GateUp;

    public CudaTensor Layer0Down => _layers[0].Down;

    public CudaTensor LmHead => _lmHead;

    public CudaTensor Layer0Norm => _layers[0].InNorm;

    public CudaTensor CosSin => _cosSin;

    public BackendTensor HiddenBuf => _hidden;

    public BackendTensor ResidualBuf => _residual;

    public BackendTensor NormedBuf => _normed;

    public BackendTensor QkvBuf => _qkv;

    public BackendTensor AttnBuf => _attn;

    public BackendTensor GateUpBuf => _gateUp;

    public BackendTensor ActBuf => _act;

    public void Dispose()
    {
        foreach (var t in _owned)
        {
            t.Dispose();
        }

        foreach (var t in new[] { _cosSin, _hidden, _residual, _normed, _qkv, _attn, _gateUp, _act, _lh, _lr, _ln, Logits })
        {
            t.Dispose();
        }
    }
}
