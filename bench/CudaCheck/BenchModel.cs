using LlmServe.Cuda.Backend;
using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Models;

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
    private readonly LayerWeights[] _layers;
    private readonly DecoderLayerStack _stack;
    private readonly CudaTensor _embed, _finalNorm, _lmHead, _cosSin;
    private readonly BackendTensor _hidden, _residual, _normed, _qkv, _attn, _gateUp, _act, _lh, _lr, _ln;

    public BenchModel(CudaBackend backend, Gpu gpu, int maxTokens, int maxSeqs, int maxModelLength, int layerCount = Layers)
    {
        LayerCount = layerCount;
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
        _layers = new LayerWeights[layerCount];
        for (int l = 0; l < layerCount; l++)
        {
            _layers[l] = new LayerWeights
            {
                InputNorm = W(1, Hidden, 1f),
                Qkv = W(Shape.QkvWidth, Hidden, 0.02f),
                Output = W(Hidden, Shape.QWidth, 0.02f),
                PostAttentionNorm = W(1, Hidden, 1f),
                GateUp = W(2 * Inter, Hidden, 0.02f),
                Down = W(Hidden, Inter, 0.02f),
            };
        }

        _finalNorm = W(1, Hidden, 1f);
        _lmHead = W(Vocab, Hidden, 0.02f);
        MatmulParams = (long)layerCount * ((long)Shape.QkvWidth * Hidden + (long)Hidden * Shape.QWidth + 2L * Inter * Hidden + (long)Hidden * Inter);
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
        _stack = new DecoderLayerStack(backend, _layers, new LayerActivations(_hidden, _residual, _normed, _qkv, _attn, _gateUp, _act), Shape, _cosSin,
            Inter, Eps);
        backend.Synchronize();
    }

    public AttentionShape Shape { get; }

    /// <summary>Bytes a decode step must read: every layer weight, the final norm and the LM head.</summary>
    public long WeightBytes { get; private set; }

    /// <summary>Parameters in the per-token matrix products (the prefill FLOP count is 2 × this × tokens).</summary>
    public long MatmulParams { get; }

    public BackendTensor Logits { get; }

    /// <summary>Decoder layers (the 8B model's 32 unless a smoke test asks fewer).</summary>
    public int LayerCount { get; }

    public KvCacheSpec CacheSpec(int blocks) => new(LayerCount, blocks, 16, KvHeads, HeadDim);

    /// <summary>One step: the same calls, in the same order, as LlamaModel.Forward (the layers are the same <see cref="DecoderLayerStack"/>).</summary>
    public void Forward(in StepBatch batch, BackendKvCache cache)
    {
        _b.PrepareStep(batch, cache);
        _b.Embedding(_embed, _residual);
        _stack.Run(batch.NumTokens, cache, residualHoldsInput: true);
        int n = batch.NumLogitRows;
        _b.GatherLogitRows(_hidden, _lh);
        _b.GatherLogitRows(_residual, _lr);
        _b.AddRmsNorm(_lh, _lr, _finalNorm, Eps, _ln, n);
        _b.Linear(_ln, _lmHead, null, Logits, n);
    }

    /// <summary>Whether the last step ran the fused layer ops.</summary>
    public bool LastStepFused => _stack.LastRunFused;

    /// <summary>Whether the last step's layers ran as the persistent decode kernel.</summary>
    public bool LastStepPersistent => _stack.LastRunPersistent;

    /// <summary>Layer <paramref name="layer"/>'s projection: 0 qkv, 1 o_proj, 2 gate_up, 3 down.</summary>
    public CudaTensor Projection(int layer, int which) => which switch
    {
        0 => (CudaTensor)_layers[layer].Qkv,
        1 => (CudaTensor)_layers[layer].Output,
        2 => (CudaTensor)_layers[layer].GateUp,
        _ => (CudaTensor)_layers[layer].Down,
    };

    // Exposed for the per-kernel table.
    public CudaTensor Layer0Qkv => Projection(0, 0);

    public CudaTensor Layer0O => Projection(0, 1);

    public CudaTensor Layer0GateUp => Projection(0, 2);

    public CudaTensor Layer0Down => Projection(0, 3);

    public CudaTensor LmHead => _lmHead;

    public CudaTensor Layer0Norm => (CudaTensor)_layers[0].InputNorm;

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
