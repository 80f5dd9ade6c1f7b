using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// An 8×8 float transpose in AVX registers (unpack, shuffle, 128-bit lane permute: 24 shuffles for 64
/// values), the building block that lets packing turn K-contiguous rows into k-major panels at vector speed.
/// </summary>
internal static unsafe class Transpose8x8
{
    /// <summary>
    /// Reads 8 floats from each of 8 rows (src + r·ld) and writes, for each of the 8 columns t, the 8 row
    /// values to dst + t·dstStride (only the first <paramref name="rows"/> lanes when fewer than 8 rows are real;
    /// rows past that are not read).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(float* src, long ld, float* dst, long dstStride, int rows)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = rows > 1 ? Avx.LoadVector256(src + ld) : default;
        var r2 = rows > 2 ? Avx.LoadVector256(src + (2 * ld)) : default;
        var r3 = rows > 3 ? Avx.LoadVector256(src + (3 * ld)) : default;
        var r4 = rows > 4 ? Avx.LoadVector256(src + (4 * ld)) : default;
        var r5 = rows > 5 ? Avx.LoadVector256(src + (5 * ld)) : default;
        var r6 = rows > 6 ? Avx.LoadVector256(src + (6 * ld)) : default;
        var r7 = rows > 7 ? Avx.LoadVector256(src + (7 * ld)) : default;

        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);

        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);

        if (rows == 8)
        {
            Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(dst + (2 * dstStride), Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(dst + (3 * dstStride), Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(dst + (4 * dstStride), Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(dst + (5 * dstStride), Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(dst + (6 * dstStride), Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(dst + (7 * dstStride), Avx.Permute2x128(u3, u7, 0x31));
            return;
        }

        var mask = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(rows)).AsSingle();
        Avx.MaskStore(dst, mask, Avx.Permute2x128(u0, u4, 0x20));
        Avx.MaskStore(dst + dstStride, mask, Avx.Permute2x128(u1, u5, 0x20));
        Avx.MaskStore(dst + (2 * dstStride), mask, Avx.Permute2x128(u2, u6, 0x20));
        Avx.MaskStore(dst + (3 * dstStride), mask, Avx.Permute2x128(u3, u7, 0x20));
        Avx.MaskStore(dst + (4 * dstStride), mask, Avx.Permute2x128(u0, u4, 0x31));
        Avx.MaskStore(dst + (5 * dstStride), mask, Avx.Permute2x128(u1, u5, 0x31));
        Avx.MaskStore(dst + (6 * dstStride), mask, Avx.Permute2x128(u2, u6, 0x31));
        Avx.MaskStore(dst + (7 * dstStride), mask, Avx.Permute2x128(u3, u7, 0x31));
    }
}
