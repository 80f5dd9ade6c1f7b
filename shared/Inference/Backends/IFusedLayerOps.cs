namespace LlmServe.Inference.Backends;

/// <summary>
/// Optional fused forms of a decoder layer's calls, for backends whose small steps are bound by the gaps between
/// kernels (a GPU decoding a few sequences). Each computes exactly what the unfused calls it names compute; the model
/// uses them only for steps <see cref="CanFuse"/> accepts, and then for every layer of the step.
/// </summary>
public interface IFusedLayerOps
{
    /// <summary>Whether steps of <paramref name="rows"/> token rows with rows of <paramref name="hidden"/> elements run fused.</summary>
    bool CanFuse(int rows, int hidden);

    /// <summary><see cref="IBackend.Linear"/> into a temporary, then residual += it (the add of <see cref="IBackend.AddRmsNorm"/>).</summary>
    void LinearAddResidual(BackendTensor input, BackendTensor weight, BackendTensor? bias, BackendTensor residual, int rows);

    /// <summary><see cref="IBackend.RmsNorm"/> of <paramref name="residual"/> by <paramref name="normWeight"/>, then <see cref="IBackend.Linear"/> into <paramref name="output"/>.</summary>
    void NormLinear(BackendTensor residual, BackendTensor normWeight, float epsilon, BackendTensor weight, BackendTensor? bias, BackendTensor output, int rows);

    /// <summary>
    /// <see cref="IBackend.RmsNorm"/>, <see cref="IBackend.Linear"/> by the [gate | up] matrix (2·<paramref name="width"/> rows),
    /// then <see cref="IBackend.SiluAndMul"/> into <paramref name="output"/>.
    /// </summary>
    void NormLinearSiluAndMul(BackendTensor residual, BackendTensor normWeight, float epsilon, BackendTensor gateUp, BackendTensor output, int width, int rows);
}
