using LlmServe.Inference.Models;

namespace LlmServe.Inference.Backends;

/// <summary>
/// Optional: every decoder layer of a one-token decode step as one call, for backends that run them as a single
/// persistent kernel (a GPU streaming the weights without gaps between ops). The result is what
/// <see cref="DecoderLayerStack"/>'s op sequence computes: the last layer's output in <see cref="LayerActivations.Hidden"/>,
/// the residual stream before it in <see cref="LayerActivations.Residual"/>, the step's K/V in the cache.
/// </summary>
public interface IPersistentDecodeLayers
{
    /// <summary>
    /// Runs the layers of <paramref name="set"/> over the step prepared by <see cref="IBackend.PrepareStep"/> and returns
    /// true, or returns false having done nothing when this step (not one token of one sequence) or these layers are
    /// not what the backend's kernel takes; the caller then runs the op sequence.
    /// </summary>
    bool TryRunDecodeLayers(DecodeLayerSet set, BackendKvCache cache, int rows, bool residualHoldsInput);
}
