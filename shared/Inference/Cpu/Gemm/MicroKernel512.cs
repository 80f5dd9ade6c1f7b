using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// The 14×32 register-blocked GEMM micro-kernel on Vector512: C[rows×32] (+)= Apanel·Bpanel over kc, where
/// the A panel holds 14 floats per k step (one per row) and the B panel 32 floats per k step. Each
/// step broadcasts one A value per row and does two FMAs against the B vectors; the 28 accumulators
/// stay in registers for the whole kc loop. Fewer rows (edges, decode batches) are generic instantiations
/// whose unused rows the JIT removes; with 1–4 rows there would be too few independent FMA chains to hide
/// FMA latency, so those kernels keep 2 or 4 sets of accumulators over interleaved k steps.
/// </summary>
internal static unsafe class MicroKernel512
{
    public const int MR = 14;
    public const int NR = 32;

    public static void Run(int rows, float* a, float* b, int kc, float* c, int ldc, bool add)
    {
        switch (rows)
        {
            case 1: Kernel4Sets<Rows1>(a, b, kc, c, ldc, add); break;
            case 2: Kernel2Sets<Rows2>(a, b, kc, c, ldc, add); break;
            case 3: Kernel2Sets<Rows3>(a, b, kc, c, ldc, add); break;
            case 4: Kernel2Sets<Rows4>(a, b, kc, c, ldc, add); break;
            case 5: Kernel<Rows5>(a, b, kc, c, ldc, add); break;
            case 6: Kernel<Rows6>(a, b, kc, c, ldc, add); break;
            case 7: Kernel<Rows7>(a, b, kc, c, ldc, add); break;
            case 8: Kernel<Rows8>(a, b, kc, c, ldc, add); break;
            case 9: Kernel<Rows9>(a, b, kc, c, ldc, add); break;
            case 10: Kernel<Rows10>(a, b, kc, c, ldc, add); break;
            case 11: Kernel<Rows11>(a, b, kc, c, ldc, add); break;
            case 12: Kernel<Rows12>(a, b, kc, c, ldc, add); break;
            case 13: Kernel<Rows13>(a, b, kc, c, ldc, add); break;
            case 14: Kernel<Rows14>(a, b, kc, c, ldc, add); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TRows>(float* a, float* b, int kc, float* c, int ldc, bool add)
        where TRows : struct, IRowCount
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default, c90 = default, c91 = default, c100 = default, c101 = default, c110 = default, c111 = default, c120 = default, c121 = default, c130 = default, c131 = default;
        int p = 0;
        for (; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 0 + 16);
            var a0 = Vector512.Create(a[0 + 0]); c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1) { var a1 = Vector512.Create(a[0 + 1]); c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11); }
            if (TRows.Value > 2) { var a2 = Vector512.Create(a[0 + 2]); c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21); }
            if (TRows.Value > 3) { var a3 = Vector512.Create(a[0 + 3]); c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31); }
            if (TRows.Value > 4) { var a4 = Vector512.Create(a[0 + 4]); c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41); }
            if (TRows.Value > 5) { var a5 = Vector512.Create(a[0 + 5]); c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51); }
            if (TRows.Value > 6) { var a6 = Vector512.Create(a[0 + 6]); c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61); }
            if (TRows.Value > 7) { var a7 = Vector512.Create(a[0 + 7]); c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71); }
            if (TRows.Value > 8) { var a8 = Vector512.Create(a[0 + 8]); c80 = Avx512F.FusedMultiplyAdd(a8, b0, c80); c81 = Avx512F.FusedMultiplyAdd(a8, b1, c81); }
            if (TRows.Value > 9) { var a9 = Vector512.Create(a[0 + 9]); c90 = Avx512F.FusedMultiplyAdd(a9, b0, c90); c91 = Avx512F.FusedMultiplyAdd(a9, b1, c91); }
            if (TRows.Value > 10) { var a10 = Vector512.Create(a[0 + 10]); c100 = Avx512F.FusedMultiplyAdd(a10, b0, c100); c101 = Avx512F.FusedMultiplyAdd(a10, b1, c101); }
            if (TRows.Value > 11) { var a11 = Vector512.Create(a[0 + 11]); c110 = Avx512F.FusedMultiplyAdd(a11, b0, c110); c111 = Avx512F.FusedMultiplyAdd(a11, b1, c111); }
            if (TRows.Value > 12) { var a12 = Vector512.Create(a[0 + 12]); c120 = Avx512F.FusedMultiplyAdd(a12, b0, c120); c121 = Avx512F.FusedMultiplyAdd(a12, b1, c121); }
            if (TRows.Value > 13) { var a13 = Vector512.Create(a[0 + 13]); c130 = Avx512F.FusedMultiplyAdd(a13, b0, c130); c131 = Avx512F.FusedMultiplyAdd(a13, b1, c131); }
            a += MR;
            b += NR;
        }

        if (add)
        {
            Add(c + (0 * ldc), c00, c01);
            if (TRows.Value > 1) { Add(c + (1 * ldc), c10, c11); }
            if (TRows.Value > 2) { Add(c + (2 * ldc), c20, c21); }
            if (TRows.Value > 3) { Add(c + (3 * ldc), c30, c31); }
            if (TRows.Value > 4) { Add(c + (4 * ldc), c40, c41); }
            if (TRows.Value > 5) { Add(c + (5 * ldc), c50, c51); }
            if (TRows.Value > 6) { Add(c + (6 * ldc), c60, c61); }
            if (TRows.Value > 7) { Add(c + (7 * ldc), c70, c71); }
            if (TRows.Value > 8) { Add(c + (8 * ldc), c80, c81); }
            if (TRows.Value > 9) { Add(c + (9 * ldc), c90, c91); }
            if (TRows.Value > 10) { Add(c + (10 * ldc), c100, c101); }
            if (TRows.Value > 11) { Add(c + (11 * ldc), c110, c111); }
            if (TRows.Value > 12) { Add(c + (12 * ldc), c120, c121); }
            if (TRows.Value > 13) { Add(c + (13 * ldc), c130, c131); }
        }
        else
        {
            Store(c + (0 * ldc), c00, c01);
            if (TRows.Value > 1) { Store(c + (1 * ldc), c10, c11); }
            if (TRows.Value > 2) { Store(c + (2 * ldc), c20, c21); }
            if (TRows.Value > 3) { Store(c + (3 * ldc), c30, c31); }
            if (TRows.Value > 4) { Store(c + (4 * ldc), c40, c41); }
            if (TRows.Value > 5) { Store(c + (5 * ldc), c50, c51); }
            if (TRows.Value > 6) { Store(c + (6 * ldc), c60, c61); }
            if (TRows.Value > 7) { Store(c + (7 * ldc), c70, c71); }
            if (TRows.Value > 8) { Store(c + (8 * ldc), c80, c81); }
            if (TRows.Value > 9) { Store(c + (9 * ldc), c90, c91); }
            if (TRows.Value > 10) { Store(c + (10 * ldc), c100, c101); }
            if (TRows.Value > 11) { Store(c + (11 * ldc), c110, c111); }
            if (TRows.Value > 12) { Store(c + (12 * ldc), c120, c121); }
            if (TRows.Value > 13) { Store(c + (13 * ldc), c130, c131); }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel2Sets<TRows>(float* a, float* b, int kc, float* c, int ldc, bool add)
        where TRows : struct, IRowCount
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c00s1 = default, c01s1 = default, c10s1 = default, c11s1 = default, c20s1 = default, c21s1 = default, c30s1 = default, c31s1 = default;
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 0 + 16);
            var a0 = Vector512.Create(a[0 + 0]); c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1) { var a1 = Vector512.Create(a[0 + 1]); c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11); }
            if (TRows.Value > 2) { var a2 = Vector512.Create(a[0 + 2]); c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21); }
            if (TRows.Value > 3) { var a3 = Vector512.Create(a[0 + 3]); c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31); }
            var b0s1 = Vector512.Load(b + 32);
            var b1s1 = Vector512.Load(b + 32 + 16);
            var a0s1 = Vector512.Create(a[14 + 0]); c00s1 = Avx512F.FusedMultiplyAdd(a0s1, b0s1, c00s1); c01s1 = Avx512F.FusedMultiplyAdd(a0s1, b1s1, c01s1);
            if (TRows.Value > 1) { var a1s1 = Vector512.Create(a[14 + 1]); c10s1 = Avx512F.FusedMultiplyAdd(a1s1, b0s1, c10s1); c11s1 = Avx512F.FusedMultiplyAdd(a1s1, b1s1, c11s1); }
            if (TRows.Value > 2) { var a2s1 = Vector512.Create(a[14 + 2]); c20s1 = Avx512F.FusedMultiplyAdd(a2s1, b0s1, c20s1); c21s1 = Avx512F.FusedMultiplyAdd(a2s1, b1s1, c21s1); }
            if (TRows.Value > 3) { var a3s1 = Vector512.Create(a[14 + 3]); c30s1 = Avx512F.FusedMultiplyAdd(a3s1, b0s1, c30s1); c31s1 = Avx512F.FusedMultiplyAdd(a3s1, b1s1, c31s1); }
            a += 2 * MR;
            b += 2 * NR;
        }

        for (; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 0 + 16);
            var a0 = Vector512.Create(a[0 + 0]); c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1) { var a1 = Vector512.Create(a[0 + 1]); c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11); }
            if (TRows.Value > 2) { var a2 = Vector512.Create(a[0 + 2]); c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21); }
            if (TRows.Value > 3) { var a3 = Vector512.Create(a[0 + 3]); c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31); }
            a += MR;
            b += NR;
        }

        c00 += c00s1; c01 += c01s1;
        if (TRows.Value > 1) { c10 += c10s1; c11 += c11s1; }
        if (TRows.Value > 2) { c20 += c20s1; c21 += c21s1; }
        if (TRows.Value > 3) { c30 += c30s1; c31 += c31s1; }
        if (add)
        {
            Add(c + (0 * ldc), c00, c01);
            if (TRows.Value > 1) { Add(c + (1 * ldc), c10, c11); }
            if (TRows.Value > 2) { Add(c + (2 * ldc), c20, c21); }
            if (TRows.Value > 3) { Add(c + (3 * ldc), c30, c31); }
        }
        else
        {
            Store(c + (0 * ldc), c00, c01);
            if (TRows.Value > 1) { Store(c + (1 * ldc), c10, c11); }
            if (TRows.Value > 2) { Store(c + (2 * ldc), c20, c21); }
            if (TRows.Value > 3) { Store(c + (3 * ldc), c30, c31); }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4Sets<TRows>(float* a, float* b, int kc, float* c, int ldc, bool add)
        where TRows : struct, IRowCount
    {
        Vector512<float> c00 = default, c01 = default, c00s1 = default, c01s1 = default, c00s2 = default, c01s2 = default, c00s3 = default, c01s3 = default;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 0 + 16);
            var a0 = Vector512.Create(a[0 + 0]); c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            var b0s1 = Vector512.Load(b + 32);
            var b1s1 = Vector512.Load(b + 32 + 16);
            var a0s1 = Vector512.Create(a[14 + 0]); c00s1 = Avx512F.FusedMultiplyAdd(a0s1, b0s1, c00s1); c01s1 = Avx512F.FusedMultiplyAdd(a0s1, b1s1, c01s1);
            var b0s2 = Vector512.Load(b + 64);
            var b1s2 = Vector512.Load(b + 64 + 16);
            var a0s2 = Vector512.Create(a[28 + 0]); c00s2 = Avx512F.FusedMultiplyAdd(a0s2, b0s2, c00s2); c01s2 = Avx512F.FusedMultiplyAdd(a0s2, b1s2, c01s2);
            var b0s3 = Vector512.Load(b + 96);
            var b1s3 = Vector512.Load(b + 96 + 16);
            var a0s3 = Vector512.Create(a[42 + 0]); c00s3 = Avx512F.FusedMultiplyAdd(a0s3, b0s3, c00s3); c01s3 = Avx512F.FusedMultiplyAdd(a0s3, b1s3, c01s3);
            a += 4 * MR;
            b += 4 * NR;
        }

        for (; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 0 + 16);
            var a0 = Vector512.Create(a[0 + 0]); c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            a += MR;
            b += NR;
        }

        c00 += c00s1; c01 += c01s1;
        c00 += c00s2; c01 += c01s2;
        c00 += c00s3; c01 += c01s3;
        if (add)
        {
            Add(c + (0 * ldc), c00, c01);
        }
        else
        {
            Store(c + (0 * ldc), c00, c01);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1)
    {
        v0.Store(c);
        v1.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* c, Vector512<float> v0, Vector512<float> v1)
    {
        (Vector512.Load(c) + v0).Store(c);
        (Vector512.Load(c + 16) + v1).Store(c + 16);
    }
}
