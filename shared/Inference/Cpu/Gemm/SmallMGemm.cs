using System.Runtime.CompilerServices;
namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// The decode path for row-major B: few rows of A, so the product is bound by reading B once. Walks B in
/// blocks of 4 rows, and for each block computes every row of A against it while those rows are in L1.
/// </summary>
internal static unsafe class SmallMGemm
{
    /// <summary>Columns [j0, j1) of C[m×n] (+)= A·Bᵀ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeColumns(in GemmKernel kernel, in GemmOperands op, int j0, int j1)
    {
        int k = op.K, n = op.N, m = op.M;
        for (int j = j0; j < j1; j += DotKernel512.Block)
        {
            int bRows = Math.Min(DotKernel512.Block, j1 - j);
            float* b = op.B + ((long)j * k);
            for (int i = 0; i < m; i += DotKernel512.Block)
            {
                int aRows = Math.Min(DotKernel512.Block, m - i);
                kernel.Dot(aRows, bRows, op.A + ((long)i * k), k, b, k, k, op.C + ((long)i * n) + j, n, op.Accumulate);
            }
        }
    }
}
