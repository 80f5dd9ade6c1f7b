using System.Runtime.CompilerServices;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// The decode path for row-major B: few rows of A, so the product is bound by reading B once. Walks B in
/// blocks of 8 rows, and for each block computes every row of A against it while those rows are in L1.
/// </summary>
internal static unsafe class SmallMGemm
{
    /// <summary>B rows per block; column ranges split over threads are multiples of it.</summary>
    public const int BlockRows = 8;

    /// <summary>Columns [j0, j1) of C[m×n] (+)= A·Bᵀ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeColumns(in GemmKernel kernel, in GemmOperands op, int j0, int j1)
    {
        int k = op.K, n = op.N, m = op.M;
        for (int j = j0; j < j1; j += BlockRows)
        {
            int blockRows = Math.Min(BlockRows, j1 - j);
            for (int i = 0; i < m; i += DotKernel512.MaxARows)
            {
                int aRows = Math.Min(DotKernel512.MaxARows, m - i);
                int step = DotKernel512.MaxBRows(aRows);
                for (int jj = 0; jj < blockRows; jj += step)
                {
                    int bRows = Math.Min(step, blockRows - jj);
                    kernel.Dot(aRows, bRows, op.A + ((long)i * k), k, op.B + ((long)(j + jj) * k), k, k, op.C + ((long)i * n) + j + jj, n, op.Accumulate);
                }
            }
        }
    }
}
