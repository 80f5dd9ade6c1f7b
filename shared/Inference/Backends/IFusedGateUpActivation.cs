namespace LlmServe.Inference.Backends;

/// <summary>
/// Optional: the MLP's gate_up projection and SiLU-and-mul in one call, for backends whose small steps are bound by the
/// gaps between kernels (a GPU decoding a few sequences). The model uses it for the steps <see cref="FusesGateUpActivation"/>
/// accepts; the result is what <see cref="IBackend.Linear"/> followed by <see cref="IBackend.SiluAndMul"/> computes.
/// </summary>
public interface IFusedGateUpActivation
{
    /// <summary>Whether a step of <paramref name="rows"/> token rows runs <see cref="LinearSiluAndMul"/>. Asked after <see cref="IBackend.PrepareStep"/>.</summary>
    bool FusesGateUpActivation(int rows);

    /// <summary>output[:, j] = silu(g[:, j]) · u[:, j] where [g | u] = input · gateUpᵀ (gateUp has 2·<paramref name="width"/> rows).</summary>
    void LinearSiluAndMul(BackendTensor input, BackendTensor gateUp, BackendTensor output, int width, int rows);
}
