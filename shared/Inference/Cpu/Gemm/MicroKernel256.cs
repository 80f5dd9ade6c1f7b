using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// The 6×16 register-blocked GEMM micro-kernel on Vector256: C[rows×16] (+)= Apanel·Bpanel over kc, where
/// the A panel holds 6 floats per k step (one per row) and the B panel 16 floats per k step. Each
/// step broadcasts one A value per row and does two FMAs against the B vectors; the 12 accumulators
/// stay in registers for the whole kc loop. Rows below 6 (edges, small M) are generic instantiations
/// whose unused rows the JIT removes.
/// </summary>
internal static unsafe class MicroKernel256
{
    public const int MR = 6;
    public const int NR = 16;

    public static void Run(int rows, float* a, float* b, int kc, float* c, int ldc, bool add)
    {
        switch (rows)
        {
            case 1: Kernel<Rows1>(a, b, kc, c, ldc, add); break;
            case 2: Kernel<Rows2>(a, b, kc, c, ldc, add); break;
            case 3: Kernel<Rows3>(a, b, kc, c, ldc, add); break;
            case 4: Kernel<Rows4>(a, b, kc, c, ldc, add); break;
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
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]); c00 = MultiplyAdd(a0, b0, c00); c01 = MultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1) { var a1 = Vector256.Create(a[1]); c10 = MultiplyAdd(a1, b0, c10); c11 = MultiplyAdd(a1, b1, c11); }
            if (TRows.Value > 2) { var a2 = Vector256.Create(a[2]); c20 = MultiplyAdd(a2, b0, c20); c21 = MultiplyAdd(a2, b1, c21); }
            if (TRows.Value > 3) { var a3 = Vector256.Create(a[3]); c30 = MultiplyAdd(a3, b0, c30); c31 = MultiplyAdd(a3, b1, c31); }
            if (TRows.Value > 4) { var a4 = Vector256.Create(a[4]); c40 = MultiplyAdd(a4, b0, c40); c41 = MultiplyAdd(a4, b1, c41); }
            if (TRows.Value > 5) { var a5 = Vector256.Create(a[5]); c50 = MultiplyAdd(a5, b0, c50); c51 = MultiplyAdd(a5, b1, c51); }
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
