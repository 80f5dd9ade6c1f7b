using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// Up to 4×4 outputs of C = A·Bᵀ as dot products along K straight from row-major A and B (Vector512), with
/// no packing: the small-M (decode) path, where B (the weights) is read once and packing it would cost
/// more than the multiply. Each step loads a vector from up to 4 rows of A and of B and does all their
/// FMAs; sums are reduced across lanes once at the end.
/// </summary>
internal static unsafe class DotKernel512
{
    public const int Block = 4;

    public static void Run(int aRows, int bRows, float* a, int lda, float* b, int ldb, int k, float* c, int ldc, bool add)
    {
        switch ((aRows * 8) + bRows)
        {
            case 9: Kernel<Rows1, Rows1>(a, lda, b, ldb, k, c, ldc, add); break;
            case 10: Kernel<Rows1, Rows2>(a, lda, b, ldb, k, c, ldc, add); break;
            case 11: Kernel<Rows1, Rows3>(a, lda, b, ldb, k, c, ldc, add); break;
            case 12: Kernel<Rows1, Rows4>(a, lda, b, ldb, k, c, ldc, add); break;
            case 17: Kernel<Rows2, Rows1>(a, lda, b, ldb, k, c, ldc, add); break;
            case 18: Kernel<Rows2, Rows2>(a, lda, b, ldb, k, c, ldc, add); break;
            case 19: Kernel<Rows2, Rows3>(a, lda, b, ldb, k, c, ldc, add); break;
            case 20: Kernel<Rows2, Rows4>(a, lda, b, ldb, k, c, ldc, add); break;
            case 25: Kernel<Rows3, Rows1>(a, lda, b, ldb, k, c, ldc, add); break;
            case 26: Kernel<Rows3, Rows2>(a, lda, b, ldb, k, c, ldc, add); break;
            case 27: Kernel<Rows3, Rows3>(a, lda, b, ldb, k, c, ldc, add); break;
            case 28: Kernel<Rows3, Rows4>(a, lda, b, ldb, k, c, ldc, add); break;
            case 33: Kernel<Rows4, Rows1>(a, lda, b, ldb, k, c, ldc, add); break;
            case 34: Kernel<Rows4, Rows2>(a, lda, b, ldb, k, c, ldc, add); break;
            case 35: Kernel<Rows4, Rows3>(a, lda, b, ldb, k, c, ldc, add); break;
            case 36: Kernel<Rows4, Rows4>(a, lda, b, ldb, k, c, ldc, add); break;
            default: throw new ArgumentOutOfRangeException(nameof(aRows));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TA, TB>(float* a, int lda, float* b, int ldb, int k, float* c, int ldc, bool add)
        where TA : struct, IRowCount
        where TB : struct, IRowCount
    {
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default, s20 = default, s21 = default, s22 = default, s23 = default, s30 = default, s31 = default, s32 = default, s33 = default;
        int p = 0;
        for (; p <= k - 16; p += 16)
        {
            var b0 = Vector512.Load(b + (0 * ldb) + p);
            var b1 = TB.Value > 1 ? Vector512.Load(b + (1 * ldb) + p) : default;
            var b2 = TB.Value > 2 ? Vector512.Load(b + (2 * ldb) + p) : default;
            var b3 = TB.Value > 3 ? Vector512.Load(b + (3 * ldb) + p) : default;
            { var x0 = Vector512.Load(a + (0 * lda) + p); s00 = Avx512F.FusedMultiplyAdd(x0, b0, s00); if (TB.Value > 1) { s01 = Avx512F.FusedMultiplyAdd(x0, b1, s01); } if (TB.Value > 2) { s02 = Avx512F.FusedMultiplyAdd(x0, b2, s02); } if (TB.Value > 3) { s03 = Avx512F.FusedMultiplyAdd(x0, b3, s03); } }
            if (TA.Value > 1) { var x1 = Vector512.Load(a + (1 * lda) + p); s10 = Avx512F.FusedMultiplyAdd(x1, b0, s10); if (TB.Value > 1) { s11 = Avx512F.FusedMultiplyAdd(x1, b1, s11); } if (TB.Value > 2) { s12 = Avx512F.FusedMultiplyAdd(x1, b2, s12); } if (TB.Value > 3) { s13 = Avx512F.FusedMultiplyAdd(x1, b3, s13); } }
            if (TA.Value > 2) { var x2 = Vector512.Load(a + (2 * lda) + p); s20 = Avx512F.FusedMultiplyAdd(x2, b0, s20); if (TB.Value > 1) { s21 = Avx512F.FusedMultiplyAdd(x2, b1, s21); } if (TB.Value > 2) { s22 = Avx512F.FusedMultiplyAdd(x2, b2, s22); } if (TB.Value > 3) { s23 = Avx512F.FusedMultiplyAdd(x2, b3, s23); } }
            if (TA.Value > 3) { var x3 = Vector512.Load(a + (3 * lda) + p); s30 = Avx512F.FusedMultiplyAdd(x3, b0, s30); if (TB.Value > 1) { s31 = Avx512F.FusedMultiplyAdd(x3, b1, s31); } if (TB.Value > 2) { s32 = Avx512F.FusedMultiplyAdd(x3, b2, s32); } if (TB.Value > 3) { s33 = Avx512F.FusedMultiplyAdd(x3, b3, s33); } }
        }

        int tail = k - p;
        Finish(c + (0 * ldc) + 0, s00, a + (0 * lda) + p, b + (0 * ldb) + p, tail, add);
        if (TB.Value > 1) { Finish(c + (0 * ldc) + 1, s01, a + (0 * lda) + p, b + (1 * ldb) + p, tail, add); }
        if (TB.Value > 2) { Finish(c + (0 * ldc) + 2, s02, a + (0 * lda) + p, b + (2 * ldb) + p, tail, add); }
        if (TB.Value > 3) { Finish(c + (0 * ldc) + 3, s03, a + (0 * lda) + p, b + (3 * ldb) + p, tail, add); }
        if (TA.Value > 1) { Finish(c + (1 * ldc) + 0, s10, a + (1 * lda) + p, b + (0 * ldb) + p, tail, add); }
        if (TA.Value > 1 && TB.Value > 1) { Finish(c + (1 * ldc) + 1, s11, a + (1 * lda) + p, b + (1 * ldb) + p, tail, add); }
        if (TA.Value > 1 && TB.Value > 2) { Finish(c + (1 * ldc) + 2, s12, a + (1 * lda) + p, b + (2 * ldb) + p, tail, add); }
        if (TA.Value > 1 && TB.Value > 3) { Finish(c + (1 * ldc) + 3, s13, a + (1 * lda) + p, b + (3 * ldb) + p, tail, add); }
        if (TA.Value > 2) { Finish(c + (2 * ldc) + 0, s20, a + (2 * lda) + p, b + (0 * ldb) + p, tail, add); }
        if (TA.Value > 2 && TB.Value > 1) { Finish(c + (2 * ldc) + 1, s21, a + (2 * lda) + p, b + (1 * ldb) + p, tail, add); }
        if (TA.Value > 2 && TB.Value > 2) { Finish(c + (2 * ldc) + 2, s22, a + (2 * lda) + p, b + (2 * ldb) + p, tail, add); }
        if (TA.Value > 2 && TB.Value > 3) { Finish(c + (2 * ldc) + 3, s23, a + (2 * lda) + p, b + (3 * ldb) + p, tail, add); }
        if (TA.Value > 3) { Finish(c + (3 * ldc) + 0, s30, a + (3 * lda) + p, b + (0 * ldb) + p, tail, add); }
        if (TA.Value > 3 && TB.Value > 1) { Finish(c + (3 * ldc) + 1, s31, a + (3 * lda) + p, b + (1 * ldb) + p, tail, add); }
        if (TA.Value > 3 && TB.Value > 2) { Finish(c + (3 * ldc) + 2, s32, a + (3 * lda) + p, b + (2 * ldb) + p, tail, add); }
        if (TA.Value > 3 && TB.Value > 3) { Finish(c + (3 * ldc) + 3, s33, a + (3 * lda) + p, b + (3 * ldb) + p, tail, add); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* c, Vector512<float> sum, float* a, float* b, int tail, bool add)
    {
        float total = Vector512.Sum(sum);
        for (int t = 0; t < tail; t++)
        {
            total += a[t] * b[t];
        }

        *c = add ? *c + total : total;
    }
}
