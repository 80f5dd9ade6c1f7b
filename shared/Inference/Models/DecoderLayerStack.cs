using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Models;

/// <summary>
/// The decoder layers of one pipeline stage over one step: norms, attention and MLP in the order every backend runs
/// them (steps a backend's <see cref="IFusedGateUpActivation"/> accepts run gate_up and SiLU-and-mul as one call).
/// Afterwards the last layer's output sits in <see cref="LayerActivations.Hidden"/>, not yet added into
/// <see cref="LayerActivations.Residual"/>. A backend that runs a one-token step's layers as one kernel
/// (<see cref="IPersistentDecodeLayers"/>) gets the whole stack in one call.
/// </summary>
public sealed class DecoderLayerStack
{
    private readonly IBackend _backend;
    private readonly IFusedGateUpActivation? _fused;
    private readonly IPersistentDecodeLayers? _persistent;
    private readonly DecodeLayerSet _set;
    private readonly IReadOnlyList<LayerWeights> _layers;
    private readonly LayerActivations _a;
    private readonly AttentionShape _shape;
    private readonly BackendTensor _cosSin;
    private readonly int _intermediateSize;
    private readonly float _epsilon;
    private readonly float _scale;

    public DecoderLayerStack(IBackend backend, IReadOnlyList<LayerWeights> layers, LayerActivations activations, AttentionShape shape,
                             BackendTensor cosSin, int intermediateSize, float rmsNormEpsilon)
    {
        _backend = backend;
        _fused = backend as IFusedGateUpActivation;
        _persistent = backend as IPersistentDecodeLayers;
        _layers = layers;
        _a = activations;
        _shape = shape;
        _cosSin = cosSin;
        _intermediateSize = intermediateSize;
        _epsilon = rmsNormEpsilon;
        _scale = 1f / MathF.Sqrt(shape.HeadDim);
        _set = new DecodeLayerSet(layers, activations, shape, cosSin, intermediateSize, rmsNormEpsilon, _scale);
    }

    /// <summary>Whether the last <see cref="Run"/> used the fused gate_up.</summary>
    public bool LastRunFused { get; private set; }

    /// <summary>Whether the last <see cref="Run"/> went to the backend's persistent decode kernel.</summary>
    public bool LastRunPersistent { get; private set; }

    /// <summary>
    /// Runs every layer over the step's <paramref name="rows"/> token rows. <paramref name="residualHoldsInput"/>: the
    /// input is the residual alone (the embedding); otherwise it is hidden + residual (a previous stage's output).
    /// </summary>
    public void Run(int rows, BackendKvCache cache, bool residualHoldsInput)
    {
        LastRunPersistent = _persistent is not null && _persistent.TryRunDecodeLayers(_set, cache, rows, residualHoldsInput);
        if (LastRunPersistent)
        {
            LastRunFused = false;
            return;
        }

        bool fuse = _fused is not null && _fused.FusesGateUpActivation(rows);
        LastRunFused = fuse;
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            if (i == 0 && residualHoldsInput)
            {
                _backend.RmsNorm(_a.Residual, layer.InputNorm, _epsilon, _a.Normed, rows);
            }
            else
            {
                _backend.AddRmsNorm(_a.Hidden, _a.Residual, layer.InputNorm, _epsilon, _a.Normed, rows);
            }

            _backend.Linear(_a.Normed, layer.Qkv, layer.QkvBias, _a.Qkv, rows);
            if (layer.QNorm is not null && layer.KNorm is not null)
            {
                _backend.HeadRmsNorm(_a.Qkv, 0, _shape.NumHeads, _shape.HeadDim, layer.QNorm, _epsilon, rows);
                _backend.HeadRmsNorm(_a.Qkv, _shape.QWidth, _shape.NumKvHeads, _shape.HeadDim, layer.KNorm, _epsilon, rows);
            }

            _backend.RopeAndWriteKv(_a.Qkv, _shape, _cosSin, cache, i);
            _backend.Attention(_a.Qkv, _shape, cache, i, _scale, _a.Attention);
            _backend.Linear(_a.Attention, layer.Output, layer.OutputBias, _a.Hidden, rows);
            _backend.AddRmsNorm(_a.Hidden, _a.Residual, layer.PostAttentionNorm, _epsilon, _a.Normed, rows);
            if (fuse)
            {
                _fused!.LinearSiluAndMul(_a.Normed, layer.GateUp, _a.Activated, _intermediateSize, rows);
            }
            else
            {
                _backend.Linear(_a.Normed, layer.GateUp, null, _a.GateUp, rows);
                _backend.SiluAndMul(_a.GateUp, _a.Activated, _intermediateSize, rows);
            }

            _backend.Linear(_a.Activated, layer.Down, null, _a.Hidden, rows);
        }
    }
}
