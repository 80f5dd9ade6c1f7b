using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// A small block of C = A·Bᵀ as dot products along K straight from row-major A and B (Vector256), with no
/// packing: the small-M (decode) path, where B (the weights) is read once and packing it would cost more
/// than the multiply. Each step loads one vector from each of up to 4 rows of A and 8 rows of B and does
/// all their FMAs (at least 8 independent chains, enough to hide FMA latency); lanes are reduced once at
/// the end. The vector loop starts where B's first row is aligned, so its loads never split cache lines.
/// </summary>
internal static unsafe class DotKernel256
{
    /// <summary>Most rows of A per call.</summary>
    public const int MaxARows = 4;

    /// <summary>Most rows of B per call for a given number of A rows (accumulators stay within 16).</summary>
    public static int MaxBRows(int aRows) => aRows <= 2 ? 8 : 4;

    public static void Run(int aRows, int bRows, float* a, int lda, float* b, int ldb, int k, float* c, int ldc, bool add)
    {
        switch ((aRows * 16) + bRows)
        {
            case 17: Kernel<Rows1, Rows1>(a, lda, b, ldb, k, c, ldc, add); break;
            case 18: Kernel<Rows1, Rows2>(a, lda, b, ldb, k, c, ldc, add); break;
            case 19: Kernel<Rows1, Rows3>(a, lda, b, ldb, k, c, ldc, add); break;
            case 20: Kernel<Rows1, Rows4>(a, lda, b, ldb, k, c, ldc, add); break;
            case 21: Kernel<Rows1, Rows5>(a, lda, b, ldb, k, c, ldc, add); break;
            case 22: Kernel<Rows1, Rows6>(a, lda, b, ldb, k, c, ldc, add); break;
            case 23: Kernel<Rows1, Rows7>(a, lda, b, ldb, k, c, ldc, add); break;
            case 24: Kernel<Rows1, Rows8>(a, lda, b, ldb, k, c, ldc, add); break;
            case 33: Kernel<Rows2, Rows1>(a, lda, b, ldb, k, c, ldc, add); break;
            case 34: Kernel<Rows2, Rows2>(a, lda, b, ldb, k, c, ldc, add); break;
            case 35: Kernel<Rows2, Rows3>(a, lda, b, ldb, k, c, ldc, add); break;
            case 36: Kernel<Rows2, Rows4>(a, lda, b, ldb, k, c, ldc, add); break;
            case 37: Kernel<Rows2, Rows5>(a, lda, b, ldb, k, c, ldc, add); break;
            case 38: Kernel<Rows2, Rows6>(a, lda, b, ldb, k, c, ldc, add); break;
            case 39: Kernel<Rows2, Rows7>(a, lda, b, ldb, k, c, ldc, add); break;
            case 40: Kernel<Rows2, Rows8>(a, lda, b, ldb, k, c, ldc, add); break;
            case 49: Kernel<Rows3, Rows1>(a, lda, b, ldb, k, c, ldc, add); break;
            case 50: Kernel<Rows3, Rows2>(a, lda, b, ldb, k, c, ldc, add); break;
            case 51: Kernel<Rows3, Rows3>(a, lda, b, ldb, k, c, ldc, add); break;
            case 52: Kernel<Rows3, Rows4>(a, lda, b, ldb, k, c, ldc, add); break;
            case 65: Kernel<Rows4, Rows1>(a, lda, b, ldb, k, c, ldc, add); break;
            case 66: Kernel<Rows4, Rows2>(a, lda, b, ldb, k, c, ldc, add); break;
            case 67: Kernel<Rows4, Rows3>(a, lda, b, ldb, k, c, ldc, add); break;
            case 68: Kernel<Rows4, Rows4>(a, lda, b, ldb, k, c, ldc, add); break;
            default: throw new ArgumentOutOfRangeException(nameof(bRows));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> acc) =>
        Fma.IsSupported ? Fma.MultiplyAdd(x, y, acc) : (x * y) + acc;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TA, TB>(float* a, int lda, float* b, int ldb, int k, float* c, int ldc, bool add)
        where TA : struct, IRowCount
        where TB : struct, IRowCount
    {
        Vector256<float> s00 = default, s01 = default, s02 = default, s03 = default, s04 = default, s05 = default, s06 = default, s07 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default, s16 = default, s17 = default, s20 = default, s21 = default, s22 = default, s23 = default, s24 = default, s25 = default, s26 = default, s27 = default, s30 = default, s31 = default, s32 = default, s33 = default, s34 = default, s35 = default, s36 = default, s37 = default;
        int head = Math.Min(k, (int)(((uint)(32 - ((nuint)b % 32)) % 32) / sizeof(float)));
        int p = head;
        for (; p <= k - 8; p += 8)
        {
            var b0 = Vector256.Load(b + (0 * ldb) + p);
            var b1 = TB.Value > 1 ? Vector256.Load(b + (1 * ldb) + p) : default;
            var b2 = TB.Value > 2 ? Vector256.Load(b + (2 * ldb) + p) : default;
            var b3 = TB.Value > 3 ? Vector256.Load(b + (3 * ldb) + p) : default;
            var b4 = TB.Value > 4 ? Vector256.Load(b + (4 * ldb) + p) : default;
            var b5 = TB.Value > 5 ? Vector256.Load(b + (5 * ldb) + p) : default;
            var b6 = TB.Value > 6 ? Vector256.Load(b + (6 * ldb) + p) : default;
            var b7 = TB.Value > 7 ? Vector256.Load(b + (7 * ldb) + p) : default;
            { var x0 = Vector256.Load(a + (0 * lda) + p); s00 = MultiplyAdd(x0, b0, s00); if (TB.Value > 1) { s01 = MultiplyAdd(x0, b1, s01); } if (TB.Value > 2) { s02 = MultiplyAdd(x0, b2, s02); } if (TB.Value > 3) { s03 = MultiplyAdd(x0, b3, s03); } if (TB.Value > 4) { s04 = MultiplyAdd(x0, b4, s04); } if (TB.Value > 5) { s05 = MultiplyAdd(x0, b5, s05); } if (TB.Value > 6) { s06 = MultiplyAdd(x0, b6, s06); } if (TB.Value > 7) { s07 = MultiplyAdd(x0, b7, s07); } }
            if (TA.Value > 1) { var x1 = Vector256.Load(a + (1 * lda) + p); s10 = MultiplyAdd(x1, b0, s10); if (TB.Value > 1) { s11 = MultiplyAdd(x1, b1, s11); } if (TB.Value > 2) { s12 = MultiplyAdd(x1, b2, s12); } if (TB.Value > 3) { s13 = MultiplyAdd(x1, b3, s13); } if (TB.Value > 4) { s14 = MultiplyAdd(x1, b4, s14); } if (TB.Value > 5) { s15 = MultiplyAdd(x1, b5, s15); } if (TB.Value > 6) { s16 = MultiplyAdd(x1, b6, s16); } if (TB.Value > 7) { s17 = MultiplyAdd(x1, b7, s17); } }
            if (TA.Value > 2) { var x2 = Vector256.Load(a + (2 * lda) + p); s20 = MultiplyAdd(x2, b0, s20); if (TB.Value > 1) { s21 = MultiplyAdd(x2, b1, s21); } if (TB.Value > 2) { s22 = MultiplyAdd(x2, b2, s22); } if (TB.Value > 3) { s23 = MultiplyAdd(x2, b3, s23); } if (TB.Value > 4) { s24 = MultiplyAdd(x2, b4, s24); } if (TB.Value > 5) { s25 = MultiplyAdd(x2, b5, s25); } if (TB.Value > 6) { s26 = MultiplyAdd(x2, b6, s26); } if (TB.Value > 7) { s27 = MultiplyAdd(x2, b7, s27); } }
            if (TA.Value > 3) { var x3 = Vector256.Load(a + (3 * lda) + p); s30 = MultiplyAdd(x3, b0, s30); if (TB.Value > 1) { s31 = MultiplyAdd(x3, b1, s31); } if (TB.Value > 2) { s32 = MultiplyAdd(x3, b2, s32); } if (TB.Value > 3) { s33 = MultiplyAdd(x3, b3, s33); } if (TB.Value > 4) { s34 = MultiplyAdd(x3, b4, s34); } if (TB.Value > 5) { s35 = MultiplyAdd(x3, b5, s35); } if (TB.Value > 6) { s36 = MultiplyAdd(x3, b6, s36); } if (TB.Value > 7) { s37 = MultiplyAdd(x3, b7, s37); } }
        }

        Finish(c + (0 * ldc) + 0, s00, a + (0 * lda), b + (0 * ldb), head, p, k, add);
        if (TB.Value > 1) { Finish(c + (0 * ldc) + 1, s01, a + (0 * lda), b + (1 * ldb), head, p, k, add); }
        if (TB.Value > 2) { Finish(c + (0 * ldc) + 2, s02, a + (0 * lda), b + (2 * ldb), head, p, k, add); }
        if (TB.Value > 3) { Finish(c + (0 * ldc) + 3, s03, a + (0 * lda), b + (3 * ldb), head, p, k, add); }
        if (TB.Value > 4) { Finish(c + (0 * ldc) + 4, s04, a + (0 * lda), b + (4 * ldb), head, p, k, add); }
        if (TB.Value > 5) { Finish(c + (0 * ldc) + 5, s05, a + (0 * lda), b + (5 * ldb), head, p, k, add); }
        if (TB.Value > 6) { Finish(c + (0 * ldc) + 6, s06, a + (0 * lda), b + (6 * ldb), head, p, k, add); }
        if (TB.Value > 7) { Finish(c + (0 * ldc) + 7, s07, a + (0 * lda), b + (7 * ldb), head, p, k, add); }
        if (TA.Value > 1) { Finish(c + (1 * ldc) + 0, s10, a + (1 * lda), b + (0 * ldb), head, p, k, add); }
        if (TA.Value > 1 && TB.Value > 1) { Finish(c + (1 * ldc) + 1, s11, a + (1 * lda), b + (1 * ldb), head, p, k, add); }
        if (TA.Value > 1 && TB.Value > 2) { Finish(c + (1 * ldc) + 2, s12, a + (1 * lda), b + (2 * ldb), head, p, k, add); }
        if (TA.Value > 1 && TB.Value > 3) { Finish(c + (1 * ldc) + 3, s13, a + (1 * lda), b + (3 * ldb), head, p, k, add); }
        if (TA.Value > 1 && TB.Value > 4) { Finish(c + (1 * ldc) + 4, s14, a + (1 * lda), b + (4 * ldb), head, p, k, add); }
        if (TA.Value > 1 && TB.Value > 5) { Finish(c + (1 * ldc) + 5, s15, a + (1 * lda), b + (5 * ldb), head, p, k, add); }
        if (TA.Value > 1 && TB.Value > 6) { Finish(c + (1 * ldc) + 6, s16, a + (1 * lda), b + (6 * ldb), head, p, k, add); }
        if (TA.Value > 1 && TB.Value > 7) { Finish(c + (1 * ldc) + 7, s17, a + (1 * lda), b + (7 * ldb), head, p, k, add); }
        if (TA.Value > 2) { Finish(c + (2 * ldc) + 0, s20, a + (2 * lda), b + (0 * ldb), head, p, k, add); }
        if (TA.Value > 2 && TB.Value > 1) { Finish(c + (2 * ldc) + 1, s21, a + (2 * lda), b + (1 * ldb), head, p, k, add); }
        if (TA.Value > 2 && TB.Value > 2) { Finish(c + (2 * ldc) + 2, s22, a + (2 * lda), b + (2 * ldb), head, p, k, add); }
        if (TA.Value > 2 && TB.Value > 3) { Finish(c + (2 * ldc) + 3, s23, a + (2 * lda), b + (3 * ldb), head, p, k, add); }
        if (TA.Value > 2 && TB.Value > 4) { Finish(c + (2 * ldc) + 4, s24, a + (2 * lda), b + (4 * ldb), head, p, k, add); }
        if (TA.Value > 2 && TB.Value > 5) { Finish(c + (2 * ldc) + 5, s25, a + (2 * lda), b + (5 * ldb), head, p, k, add); }
        if (TA.Value > 2 && TB.Value > 6) { Finish(c + (2 * ldc) + 6, s26, a + (2 * lda), b + (6 * ldb), head, p, k, add); }
        if (TA.Value > 2 && TB.Value > 7) { Finish(c + (2 * ldc) + 7, s27, a + (2 * lda), b + (7 * ldb), head, p, k, add); }
        if (TA.Value > 3) { Finish(c + (3 * ldc) + 0, s30, a + (3 * lda), b + (0 * ldb), head, p, k, add); }
        if (TA.Value > 3 && TB.Value > 1) { Finish(c + (3 * ldc) + 1, s31, a + (3 * lda), b + (1 * ldb), head, p, k, add); }
        if (TA.Value > 3 && TB.Value > 2) { Finish(c + (3 * ldc) + 2, s32, a + (3 * lda), b + (2 * ldb), head, p, k, add); }
        if (TA.Value > 3 && TB.Value > 3) { Finish(c + (3 * ldc) + 3, s33, a + (3 * lda), b + (3 * ldb), head, p, k, add); }
        if (TA.Value > 3 && TB.Value > 4) { Finish(c + (3 * ldc) + 4, s34, a + (3 * lda), b + (4 * ldb), head, p, k, add); }
        if (TA.Value > 3 && TB.Value > 5) { Finish(c + (3 * ldc) + 5, s35, a + (3 * lda), b + (5 * ldb), head, p, k, add); }
        if (TA.Value > 3 && TB.Value > 6) { Finish(c + (3 * ldc) + 6, s36, a + (3 * lda), b + (6 * ldb), head, p, k, add); }
        if (TA.Value > 3 && TB.Value > 7) { Finish(c + (3 * ldc) + 7, s37, a + (3 * lda), b + (7 * ldb), head, p, k, add); }
    }

    // Lane sum plus the scalar head [0, head) and tail [vectorEnd, k) the vector loop skipped.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* c, Vector256<float> sum, float* a, float* b, int head, int vectorEnd, int k, bool add)
    {
        float total = Vector256.Sum(sum);
        for (int t = 0; t < head; t++)
        {
            total += a[t] * b[t];
        }

        for (int t = vectorEnd; t < k; t++)
        {
            total += a[t] * b[t];
        }

        *c = add ? *c + total : total;
    }
}
