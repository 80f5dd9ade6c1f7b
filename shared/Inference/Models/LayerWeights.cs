using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Models;

/// <summary>One decoder layer's weights on the backend, with q/k/v and gate/up fused into single matrices.</summary>
public sealed class LayerWeights : IDisposable
{
    public required BackendTensor InputNorm { get; init; }

    /// <summary>[q | k | v] × hidden.</summary>
    public required BackendTensor Qkv { get; init; }

    public BackendTensor? QkvBias { get; init; }

    public BackendTensor? QNorm { get; init; }

    public BackendTensor? KNorm { get; init; }

    public required BackendTensor Output { get; init; }

    public BackendTensor? OutputBias { get; init; }

    public required BackendTensor PostAttentionNorm { get; init; }

    /// <summary>[gate | up] × hidden.</summary>
    public required BackendTensor GateUp { get; init; }

    public required BackendTensor Down { get; init; }

    public void Dispose()
    {
        InputNorm.Dispose();
        Qkv.Dispose();
        QkvBias?.Dispose();
        QNorm?.Dispose();
        KNorm?.Dispose();
        Output.Dispose();
        OutputBias?.Dispose();
        PostAttentionNorm.Dispose();
        GateUp.Dispose();
        Down.Dispose();
    }
}
