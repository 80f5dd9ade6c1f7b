namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// Copies blocks of the row-major operands into the micro-kernel's panel layouts, so the kernel reads
/// both operands with unit stride: A as MR-row panels (MR values per k), B as NR-column panels (NR values
/// per k, zero-padded past N).
/// </summary>
internal static unsafe class Packing
{
    /// <summary>Packs rows × kc of A (leading dimension lda) into ceil(rows/MR) panels of kc×MR.</summary>
    public static void PackA(float* a, int lda, int rows, int kc, int mr, float* dst)
    {
        for (int i = 0; i < rows; i += mr)
        {
            int panelRows = Math.Min(mr, rows - i);
            for (int r = 0; r < panelRows; r++)
            {
                float* src = a + ((long)(i + r) * lda);
                float* d = dst + r;
                for (int p = 0; p < kc; p++)
                {
                    d[(long)p * mr] = src[p];
                }
            }

            dst += (long)mr * kc;
        }
    }

    /// <summary>Packs cols rows of B (each kc long, leading dimension ldb) into ceil(cols/NR) panels of kc×NR.</summary>
    public static void PackB(float* b, int ldb, int cols, int kc, int nr, float* dst)
    {
        for (int j = 0; j < cols; j += nr)
        {
            int panelCols = Math.Min(nr, cols - j);
            for (int col = 0; col < nr; col++)
            {
                float* d = dst + col;
                if (col < panelCols)
                {
                    float* src = b + ((long)(j + col) * ldb);
                    for (int p = 0; p < kc; p++)
                    {
                        d[(long)p * nr] = src[p];
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        d[(long)p * nr] = 0f;
                    }
                }
            }

            dst += (long)nr * kc;
        }
    }
}
