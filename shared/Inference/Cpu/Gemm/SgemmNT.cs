namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// Single-precision GEMM in the layout linear layers use: C[M×N] = A[M×K] · Bᵀ, where B is stored
/// row-major as [N×K] (Hugging Face weights are [out_features, in_features]). All row-major, no padding.
/// </summary>
public static class SgemmNT
{
    /// <summary>Computes C = A·Bᵀ (overwrites C), or C += A·Bᵀ when <paramref name="accumulate"/> is true.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(a.Length, m * k);
        ArgumentOutOfRangeException.ThrowIfLessThan(b.Length, n * k);
        ArgumentOutOfRangeException.ThrowIfLessThan(c.Length, m * n);
        for (int i = 0; i < m; i++)
        {
            var row = a.Slice(i * k, k);
            for (int j = 0; j < n; j++)
            {
                float dot = System.Numerics.Tensors.TensorPrimitives.Dot(row, b.Slice(j * k, k));
                c[(i * n) + j] = accumulate ? c[(i * n) + j] + dot : dot;
            }
        }
    }
}
