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

    public DecoderLayerStack(IBackend backend, IReadOnlyList<LayerWeights> layers, LayerActivations activations, AttentionShape shape,
                             BackendTensor cosSin, int intermediateSize, float rmsNormEpsilon)
    {
        _backend = backend;
        _fused = backend as IFusedGateUpActivation;
        _persistent = backend as IPersistentDecodeLayers;
        _set = new DecodeLayerSet(layers, activations, shape, cosSin, intermediateSize, rmsNormEpsilon, 1f / MathF.Sqrt(shape.HeadDim));
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
        var (layers, a, shape, cosSin) = (_set.Layers, _set.Activations, _set.Shape, _set.CosSin);
        int intermediateSize = _set.IntermediateSize;
        float epsilon = _set.RmsNormEpsilon, scale = _set.AttentionScale;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (i == 0 && residualHoldsInput)
            {
                _backend.RmsNorm(a.Residual, layer.InputNorm, epsilon, a.Normed, rows);
            }
            else
            {
                _backend.AddRmsNorm(a.Hidden, a.Residual, layer.InputNorm, epsilon, a.Normed, rows);
            }

            _backend.Linear(a.Normed, layer.Qkv, layer.QkvBias, a.Qkv, rows);
            if (layer.QNorm is not null && layer.KNorm is not null)
            {
                _backend.HeadRmsNorm(a.Qkv, 0, shape.NumHeads, shape.HeadDim, layer.QNorm, epsilon, rows);
                _backend.HeadRmsNorm(a.Qkv, shape.QWidth, shape.NumKvHeads, shape.HeadDim, layer.KNorm, epsilon, rows);
            }

            _backend.RopeAndWriteKv(a.Qkv, shape, cosSin, cache, i);
            _backend.Attention(a.Qkv, shape, cache, i, scale, a.Attention);
            _backend.Linear(a.Attention, layer.Output, layer.OutputBias, a.Hidden, rows);
            _backend.AddRmsNorm(a.Hidden, a.Residual, layer.PostAttentionNorm, epsilon, a.Normed, rows);
            if (fuse)
            {
                _fused!.LinearSiluAndMul(a.Normed, layer.GateUp, a.Activated, intermediateSize, rows);
            }
            else
            {
                _backend.Linear(a.Normed, layer.GateUp, null, a.GateUp, rows);
                _backend.SiluAndMul(a.GateUp, a.Activated, intermediateSize, rows);
            }

            _backend.Linear(a.Activated, layer.Down, null, a.Hidden, rows);
        }
    }
}
