namespace LlmServe.Cuda.Blas;

/// <summary>Y[M×N] = X[M×K] · W[N×K]ᵀ (+ bias[N]); the key of a cached cuBLASLt plan.</summary>
public readonly record struct GemmShape(int M, int N, int K, bool Bias, bool OutputF32);
