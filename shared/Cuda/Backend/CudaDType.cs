namespace LlmServe.Cuda.Backend;

/// <summary>Element type of a <see cref="CudaTensor"/>: bf16 for weights and activations, fp32 for tables.</summary>
public enum CudaDType
{
    Bf16,
    F32,
}
