using System.Runtime.CompilerServices;
namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// The cache-blocked GEMM for one tile of C (Goto/BLIS loop order): for each NC column block and KC
/// depth block, pack B (unless prepacked) so it sits in L3 with one kc×NR micro-panel in L1; for each MC
/// row block pack A into L2; then run the register micro-kernel over the MR×NR grid.
/// </summary>
internal static unsafe class BlockedGemm
{
    /// <summary>Rows [i0, i1) × columns [j0, j1) of C[m×n] (+)= A·Bᵀ; j0 must be a multiple of NR when B is packed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ComputeTile(in GemmKernel kernel, in GemmOperands op, int i0, int i1, int j0, int j1)
    {
        var scratch = GemmScratch.Rent(kernel);
        try
        {
            int k = op.K;
            for (int jc = j0; jc < j1; jc += kernel.NC)
            {
                int nc = Math.Min(kernel.NC, j1 - jc);
                for (int pc = 0; pc < k; pc += GemmKernel.KC)
                {
                    int kc = Math.Min(GemmKernel.KC, k - pc);
                    float* bBlock;
                    if (op.PackedB is { } packed)
                    {
                        bBlock = packed.Block(pc, jc);
                    }
                    else
                    {
                        bBlock = scratch.B.Pointer;
                        Packing.PackB(op.B + ((long)jc * k) + pc, k, nc, kc, kernel.NR, bBlock);
                    }

                    bool add = op.Accumulate || pc > 0;
                    for (int ic = i0; ic < i1; ic += kernel.MC)
                    {
                        int mc = Math.Min(kernel.MC, i1 - ic);
                        Packing.PackA(op.A + ((long)ic * k) + pc, k, mc, kc, kernel.MR, scratch.A.Pointer);
                        MacroKernel(kernel, scratch.A.Pointer, bBlock, mc, nc, kc, op.C + ((long)ic * op.N) + jc, op.N, add);
                    }
                }
            }
        }
        finally
        {
            GemmScratch.Return(scratch);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel(in GemmKernel kernel, float* aPack, float* bPack, int mc, int nc, int kc, float* c, int ldc, bool add)
    {
        int mr = kernel.MR, nr = kernel.NR;
        float* edge = stackalloc float[mr * nr];
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* bPanel = bPack + ((long)jr * kc);
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                float* aPanel = aPack + ((long)ir * kc);
                float* cTile = c + ((long)ir * ldc) + jr;
                if (cols == nr)
                {
                    kernel.Micro(rows, aPanel, bPanel, kc, cTile, ldc, add);
                }
                else
                {
                    // Past the last full panel the kernel still writes NR columns: land them in a scratch tile.
                    kernel.Micro(rows, aPanel, bPanel, kc, edge, nr, add: false);
                    for (int r = 0; r < rows; r++)
                    {
                        float* dst = cTile + ((long)r * ldc);
                        float* src = edge + (r * nr);
                        for (int col = 0; col < cols; col++)
                        {
                            dst[col] = add ? dst[col] + src[col] : src[col];
                        }
                    }
                }
            }
        }
    }
}
