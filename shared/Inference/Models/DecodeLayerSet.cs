using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Models;

/// <summary>
/// What a backend needs to run a stage's decoder layers by itself (<see cref="IPersistentDecodeLayers"/>): the layers,
/// the step buffers they work in, and the model constants. Made once per <see cref="DecoderLayerStack"/>, so a backend
/// can key what it prepares (device pointer tables, eligibility) on the instance.
/// </summary>
public sealed record DecodeLayerSet(
    IReadOnlyList<LayerWeights> Layers,
    LayerActivations Activations,
    AttentionShape Shape,
    BackendTensor CosSin,
    int IntermediateSize,
    float RmsNormEpsilon,
    float AttentionScale);
