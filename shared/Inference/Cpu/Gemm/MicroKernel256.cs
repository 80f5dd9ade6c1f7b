using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// The 6×16 register-blocked GEMM micro-kernel on Vector256: C[rows×16] (+)= Apanel·Bpanel over kc, where
/// the A panel holds 6 floats per k step (one per row) and the B panel 16 floats per k step. Each
/// step broadcasts one A value per row and does two FMAs against the B vectors; the 12 accumulators
/// stay in registers for the whole kc loop. Fewer rows (edges, decode batches) are generic instantiations
/// whose unused rows the JIT removes; with 1–4 rows there would be too few independent FMA chains to hide
/// FMA latency, so those kernels keep 2 or 4 sets of accumulators over interleaved k steps.
/// </summary>
internal static unsafe class MicroKernel256
{
    public const int MR = 6;
    public const int NR = 16;

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
            default: throw new ArgumentOutOfRangeException(nameof(rows));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> acc) =>
        Fma.IsSupported ? Fma.MultiplyAdd(x, y, acc) : (x * y) + acc;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TRows>(float* a, float* b, int kc, float* c, int ldc, bool add)
        where TRows : struct, IRowCount
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        int p = 0;
        for (; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 0 + 8);
            var a0 = Vector256.Create(a[0 + 0]); c00 = MultiplyAdd(a0, b0, c00); c01 = MultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1) { var a1 = Vector256.Create(a[0 + 1]); c10 = MultiplyAdd(a1, b0, c10); c11 = MultiplyAdd(a1, b1, c11); }
            if (TRows.Value > 2) { var a2 = Vector256.Create(a[0 + 2]); c20 = MultiplyAdd(a2, b0, c20); c21 = MultiplyAdd(a2, b1, c21); }
            if (TRows.Value > 3) { var a3 = Vector256.Create(a[0 + 3]); c30 = MultiplyAdd(a3, b0, c30); c31 = MultiplyAdd(a3, b1, c31); }
            if (TRows.Value > 4) { var a4 = Vector256.Create(a[0 + 4]); c40 = MultiplyAdd(a4, b0, c40); c41 = MultiplyAdd(a4, b1, c41); }
            if (TRows.Value > 5) { var a5 = Vector256.Create(a[0 + 5]); c50 = MultiplyAdd(a5, b0, c50); c51 = MultiplyAdd(a5, b1, c51); }
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
        }
        else
        {
            Store(c + (0 * ldc), c00, c01);
            if (TRows.Value > 1) { Store(c + (1 * ldc), c10, c11); }
            if (TRows.Value > 2) { Store(c + (2 * ldc), c20, c21); }
            if (TRows.Value > 3) { Store(c + (3 * ldc), c30, c31); }
            if (TRows.Value > 4) { Store(c + (4 * ldc), c40, c41); }
            if (TRows.Value > 5) { Store(c + (5 * ldc), c50, c51); }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel2Sets<TRows>(float* a, float* b, int kc, float* c, int ldc, bool add)
        where TRows : struct, IRowCount
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default, c00s1 = default, c01s1 = default, c10s1 = default, c11s1 = default, c20s1 = default, c21s1 = default, c30s1 = default, c31s1 = default;
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 0 + 8);
            var a0 = Vector256.Create(a[0 + 0]); c00 = MultiplyAdd(a0, b0, c00); c01 = MultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1) { var a1 = Vector256.Create(a[0 + 1]); c10 = MultiplyAdd(a1, b0, c10); c11 = MultiplyAdd(a1, b1, c11); }
            if (TRows.Value > 2) { var a2 = Vector256.Create(a[0 + 2]); c20 = MultiplyAdd(a2, b0, c20); c21 = MultiplyAdd(a2, b1, c21); }
            if (TRows.Value > 3) { var a3 = Vector256.Create(a[0 + 3]); c30 = MultiplyAdd(a3, b0, c30); c31 = MultiplyAdd(a3, b1, c31); }
            var b0s1 = Vector256.Load(b + 16);
            var b1s1 = Vector256.Load(b + 16 + 8);
            var a0s1 = Vector256.Create(a[6 + 0]); c00s1 = MultiplyAdd(a0s1, b0s1, c00s1); c01s1 = MultiplyAdd(a0s1, b1s1, c01s1);
            if (TRows.Value > 1) { var a1s1 = Vector256.Create(a[6 + 1]); c10s1 = MultiplyAdd(a1s1, b0s1, c10s1); c11s1 = MultiplyAdd(a1s1, b1s1, c11s1); }
            if (TRows.Value > 2) { var a2s1 = Vector256.Create(a[6 + 2]); c20s1 = MultiplyAdd(a2s1, b0s1, c20s1); c21s1 = MultiplyAdd(a2s1, b1s1, c21s1); }
            if (TRows.Value > 3) { var a3s1 = Vector256.Create(a[6 + 3]); c30s1 = MultiplyAdd(a3s1, b0s1, c30s1); c31s1 = MultiplyAdd(a3s1, b1s1, c31s1); }
            a += 2 * MR;
            b += 2 * NR;
        }

        for (; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 0 + 8);
            var a0 = Vector256.Create(a[0 + 0]); c00 = MultiplyAdd(a0, b0, c00); c01 = MultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1) { var a1 = Vector256.Create(a[0 + 1]); c10 = MultiplyAdd(a1, b0, c10); c11 = MultiplyAdd(a1, b1, c11); }
            if (TRows.Value > 2) { var a2 = Vector256.Create(a[0 + 2]); c20 = MultiplyAdd(a2, b0, c20); c21 = MultiplyAdd(a2, b1, c21); }
            if (TRows.Value > 3) { var a3 = Vector256.Create(a[0 + 3]); c30 = MultiplyAdd(a3, b0, c30); c31 = MultiplyAdd(a3, b1, c31); }
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
        Vector256<float> c00 = default, c01 = default, c00s1 = default, c01s1 = default, c00s2 = default, c01s2 = default, c00s3 = default, c01s3 = default;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 0 + 8);
            var a0 = Vector256.Create(a[0 + 0]); c00 = MultiplyAdd(a0, b0, c00); c01 = MultiplyAdd(a0, b1, c01);
            var b0s1 = Vector256.Load(b + 16);
            var b1s1 = Vector256.Load(b + 16 + 8);
            var a0s1 = Vector256.Create(a[6 + 0]); c00s1 = MultiplyAdd(a0s1, b0s1, c00s1); c01s1 = MultiplyAdd(a0s1, b1s1, c01s1);
            var b0s2 = Vector256.Load(b + 32);
            var b1s2 = Vector256.Load(b + 32 + 8);
            var a0s2 = Vector256.Create(a[12 + 0]); c00s2 = MultiplyAdd(a0s2, b0s2, c00s2); c01s2 = MultiplyAdd(a0s2, b1s2, c01s2);
            var b0s3 = Vector256.Load(b + 48);
            var b1s3 = Vector256.Load(b + 48 + 8);
            var a0s3 = Vector256.Create(a[18 + 0]); c00s3 = MultiplyAdd(a0s3, b0s3, c00s3); c01s3 = MultiplyAdd(a0s3, b1s3, c01s3);
            a += 4 * MR;
            b += 4 * NR;
        }

        for (; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 0 + 8);
            var a0 = Vector256.Create(a[0 + 0]); c00 = MultiplyAdd(a0, b0, c00); c01 = MultiplyAdd(a0, b1, c01);
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
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1)
    {
        v0.Store(c);
        v1.Store(c + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* c, Vector256<float> v0, Vector256<float> v1)
    {
        (Vector256.Load(c) + v0).Store(c);
        (Vector256.Load(c + 8) + v1).Store(c + 8);
    }
}
