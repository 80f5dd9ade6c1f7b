using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// Copies blocks of the row-major operands into the micro-kernel's panel layouts, so the kernel reads
/// both operands with unit stride: A as MR-row panels (MR values per k), B as NR-column panels (NR values
/// per k, zero-padded past N). Both are transposes of K-contiguous rows: done 8×8 in AVX registers where
/// possible, element by element at the edges.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>Packs rows × kc of A (leading dimension lda) into ceil(rows/MR) panels of kc×MR.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(float* a, int lda, int rows, int kc, int mr, float* dst)
    {
        for (int i = 0; i < rows; i += mr)
        {
            int panelRows = Math.Min(mr, rows - i);
            PackPanel(a + ((long)i * lda), lda, panelRows, kc, mr, dst);
            dst += (long)mr * kc;
        }
    }

    /// <summary>Packs cols rows of B (each kc long, leading dimension ldb) into ceil(cols/NR) panels of kc×NR.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(float* b, int ldb, int cols, int kc, int nr, float* dst)
    {
        for (int j = 0; j < cols; j += nr)
        {
            int panelCols = Math.Min(nr, cols - j);
            PackPanel(b + ((long)j * ldb), ldb, panelCols, kc, nr, dst);
            if (panelCols < nr)
            {
                for (int p = 0; p < kc; p++)
                {
                    new Span<float>(dst + ((long)p * nr) + panelCols, nr - panelCols).Clear();
                }
            }

            dst += (long)nr * kc;
        }
    }

    // dst[p·width + r] = src[r·ld + p] for r < rows, p < kc.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackPanel(float* src, int ld, int rows, int kc, int width, float* dst)
    {
        int p = 0;
        if (Avx.IsSupported)
        {
            for (; p + 8 <= kc; p += 8)
            {
                for (int r = 0; r < rows; r += 8)
                {
                    Transpose8x8.Run(src + ((long)r * ld) + p, ld, dst + ((long)p * width) + r, width, Math.Min(8, rows - r));
                }
            }
        }

        for (int r = 0; r < rows; r++)
        {
            float* s = src + ((long)r * ld);
            for (int q = p; q < kc; q++)
            {
                dst[((long)q * width) + r] = s[q];
            }
        }
    }
}
