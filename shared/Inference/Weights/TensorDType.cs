namespace LlmServe.Inference.Weights;

/// <summary>Element types a checkpoint tensor may be stored in (the safetensors dtype names F32, BF16, F16).</summary>
public enum TensorDType
{
    F32,
    BF16,
    F16,
}
