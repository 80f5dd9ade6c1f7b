using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Models;

/// <summary>
/// The step buffers a stage's decoder layers work in, each [max tokens × width]. Hidden and Residual are the two
/// halves of the residual stream (the true activation is their sum); the rest are scratch of one layer.
/// </summary>
public sealed record LayerActivations(
    BackendTensor Hidden,
    BackendTensor Residual,
    BackendTensor Normed,
    BackendTensor Qkv,
    BackendTensor Attention,
    BackendTensor GateUp,
    BackendTensor Activated);
