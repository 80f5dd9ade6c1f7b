using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Models;

/// <summary>
/// The decoder layers of one pipeline stage over one step: norms, attention and MLP in the order every backend runs
/// them. Steps a backend's <see cref="IFusedLayerOps"/> accepts run with the norms, residual adds and SiLU fused
/// into the projections; the result is the same either way. Afterwards the last layer's output sits in
/// <see cref="LayerActivations.Hidden"/>, not yet added into <see cref="LayerActivations.Residual"/>.
/// </summary>
public sealed class DecoderLayerStack
{
    private readonly IBackend _backend;
    private readonly IFusedLayerOps? _fused;
    private readonly IReadOnlyList<LayerWeights> _layers;
    private readonly LayerActivations _a;
    private readonly AttentionShape _shape;
    private readonly BackendTensor _cosSin;
    private readonly int _hiddenSize;
    private readonly int _intermediateSize;
    private readonly float _epsilon;
    private readonly float _scale;

    public DecoderLayerStack(IBackend backend, IReadOnlyList<LayerWeights> layers, LayerActivations activations, AttentionShape shape,
                             BackendTensor cosSin, int hiddenSize, int intermediateSize, float rmsNormEpsilon)
    {
        _backend = backend;
        _fused = backend as IFusedLayerOps;
        _layers = layers;
        _a = activations;
        _shape = shape;
        _cosSin = cosSin;
        _hiddenSize = hiddenSize;
        _intermediateSize = intermediateSize;
        _epsilon = rmsNormEpsilon;
        _scale = 1f / MathF.Sqrt(shape.HeadDim);
    }

    /// <summary>Whether the last <see cref="Run"/> used the fused ops.</summary>
    public bool LastRunFused { get; private set; }

    /// <summary>
    /// Runs every layer over the step's <paramref name="rows"/> token rows. <paramref name="residualHoldsInput"/>: the
    /// input is the residual alone (the embedding); otherwise it is hidden + residual (a previous stage's output).
    /// </summary>
    public void Run(int rows, BackendKvCache cache, bool residualHoldsInput)
    {
        bool fuse = _fused is not null && _fused.CanFuse(rows, _hiddenSize);
        LastRunFused = fuse;
        bool hiddenPending = !residualHoldsInput;
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            if (fuse && !hiddenPending)
            {
                _fused!.NormLinear(_a.Residual, layer.InputNorm, _epsilon, layer.Qkv, layer.QkvBias, _a.Qkv, rows);
            }
            else
            {
                if (hiddenPending)
                {
                    _backend.AddRmsNorm(_a.Hidden, _a.Residual, layer.InputNorm, _epsilon, _a.Normed, rows);
                }
                else
                {
                    _backend.RmsNorm(_a.Residual, layer.InputNorm, _epsilon, _a.Normed, rows);
                }

                _backend.Linear(_a.Normed, layer.Qkv, layer.QkvBias, _a.Qkv, rows);
            }

            if (layer.QNorm is not null && layer.KNorm is not null)
            {
                _backend.HeadRmsNorm(_a.Qkv, 0, _shape.NumHeads, _shape.HeadDim, layer.QNorm, _epsilon, rows);
                _backend.HeadRmsNorm(_a.Qkv, _shape.QWidth, _shape.NumKvHeads, _shape.HeadDim, layer.KNorm, _epsilon, rows);
            }

            _backend.RopeAndWriteKv(_a.Qkv, _shape, _cosSin, cache, i);
            _backend.Attention(_a.Qkv, _shape, cache, i, _scale, _a.Attention);
            if (fuse)
            {
                _fused!.LinearAddResidual(_a.Attention, layer.Output, layer.OutputBias, _a.Residual, rows);
                _fused.NormLinearSiluAndMul(_a.Residual, layer.PostAttentionNorm, _epsilon, layer.GateUp, _a.Activated, _intermediateSize, rows);
                if (i + 1 < _layers.Count)
                {
                    // The next layer's norm reads the residual stream directly.
                    _fused.LinearAddResidual(_a.Activated, layer.Down, null, _a.Residual, rows);
                    hiddenPending = false;
                    continue;
                }
            }
            else
            {
                _backend.Linear(_a.Attention, layer.Output, layer.OutputBias, _a.Hidden, rows);
                _backend.AddRmsNorm(_a.Hidden, _a.Residual, layer.PostAttentionNorm, _epsilon, _a.Normed, rows);
                _backend.Linear(_a.Normed, layer.GateUp, null, _a.GateUp, rows);
                _backend.SiluAndMul(_a.GateUp, _a.Activated, _intermediateSize, rows);
            }

            // The stage's last layer leaves its output in Hidden, as the logits and the next stage expect.
            _backend.Linear(_a.Activated, layer.Down, null, _a.Hidden, rows);
            hiddenPending = true;
        }
    }
}
