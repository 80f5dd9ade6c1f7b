using System.Numerics.Tensors;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// Single-precision GEMM in the layout linear layers use: C[M×N] = A[M×K] · Bᵀ, where B is stored
/// row-major as [N×K] (Hugging Face weights are [out_features, in_features]). All row-major, no padding.
/// </summary>
/// <remarks>
/// Large M (prefill) runs a cache-blocked, packed GEMM with an MR×NR register micro-kernel (AVX-512:
/// 14×32, AVX2/FMA: 6×16); M ≤ <see cref="SmallMThreshold"/> (decode) with row-major B runs dot-product
/// kernels that read B once without packing it. Work is split over threads by column (or row) ranges
/// once it is big enough to pay for the hand-off. Weights can be packed once with
/// <see cref="PackedMatrix.Pack(ReadOnlySpan{float}, int, int)"/> and passed to the PackedMatrix overload.
/// </remarks>
public static unsafe class SgemmNT
{
    /// <summary>Row-major B with at most this many rows of A takes the unpacked dot-product path.</summary>
    public const int SmallMThreshold = 16;

    // Below this many multiply-adds per thread, a thread hand-off costs more than it saves.
    private const long MinWorkPerThread = 1L << 18;

    /// <summary>Computes C = A·Bᵀ (overwrites C), or C += A·Bᵀ when <paramref name="accumulate"/> is true.</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false) =>
        Multiply(GemmKernel.Best, a, b, c, m, n, k, accumulate, maxThreads: 0);

    /// <summary>As <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool)"/>, on at most <paramref name="maxThreads"/> threads (0 = one per core).</summary>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate, int maxThreads) =>
        Multiply(GemmKernel.Best, a, b, c, m, n, k, accumulate, maxThreads);

    /// <summary>C[M×N] = A[M×K]·Bᵀ (or +=) with B prepacked by <see cref="PackedMatrix.Pack(ReadOnlySpan{float}, int, int)"/>.</summary>
    public static void Multiply(ReadOnlySpan<float> a, PackedMatrix b, Span<float> c, int m, bool accumulate = false) =>
        Multiply(a, b, c, m, accumulate, maxThreads: 0);

    /// <summary>As the prepacked overload, on at most <paramref name="maxThreads"/> threads (0 = one per core).</summary>
    public static void Multiply(ReadOnlySpan<float> a, PackedMatrix b, Span<float> c, int m, bool accumulate, int maxThreads)
    {
        ArgumentNullException.ThrowIfNull(b);
        int n = b.N, k = b.K;
        CheckShapes(a.Length, long.MaxValue, c.Length, m, n, k);
        if (b.Kernel is not { } kernel)
        {
            Reference(a, b.RowMajor, c, m, n, k, accumulate);
            return;
        }

        if (m == 0 || n == 0 || HandledEmptyK(c, m, n, k, accumulate))
        {
            return;
        }

        fixed (float* pa = a)
        fixed (float* pc = c)
        {
            Run(kernel, new GemmOperands(pa, null, b, pc, m, n, k, accumulate), maxThreads);
        }
    }

    internal static void Multiply(GemmKernel? kernel, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate, int maxThreads)
    {
        CheckShapes(a.Length, b.Length, c.Length, m, n, k);
        if (kernel is not { } kern)
        {
            Reference(a, b, c, m, n, k, accumulate);
            return;
        }

        if (m == 0 || n == 0 || HandledEmptyK(c, m, n, k, accumulate))
        {
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            Run(kern, new GemmOperands(pa, pb, null, pc, m, n, k, accumulate), maxThreads);
        }
    }

    private static void Run(GemmKernel kernel, GemmOperands op, int maxThreads)
    {
        bool smallM = op.PackedB is null && op.M <= SmallMThreshold;
        int threads = ThreadsFor(op, maxThreads);
        if (threads == 1)
        {
            if (smallM)
            {
                SmallMGemm.ComputeColumns(kernel, op, 0, op.N);
            }
            else
            {
                BlockedGemm.ComputeTile(kernel, op, 0, op.M, 0, op.N);
            }

            return;
        }

        // Split columns (each thread packs its own part of B) unless there are too few panels for that.
        var partitioning = smallM ? GemmPartitioning.SmallMColumns
            : (op.N + kernel.NR - 1) / kernel.NR >= 2 * threads || op.M < kernel.MR * threads ? GemmPartitioning.Columns
            : GemmPartitioning.Rows;
        GemmJob.Run(kernel, op, partitioning, threads);
    }

    private static int ThreadsFor(in GemmOperands op, int maxThreads)
    {
        int cores = maxThreads > 0 ? maxThreads : Environment.ProcessorCount;
        long work = (long)op.M * op.N * op.K;
        return (int)Math.Clamp(work / MinWorkPerThread, 1, cores);
    }

    private static bool HandledEmptyK(Span<float> c, int m, int n, int k, bool accumulate)
    {
        if (k > 0)
        {
            return false;
        }

        if (!accumulate)
        {
            c[..(m * n)].Clear();
        }

        return true;
    }

    private static void CheckShapes(long aLength, long bLength, long cLength, int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (aLength < (long)m * k)
        {
            throw new ArgumentException($"A has {aLength} values, fewer than m×k = {(long)m * k}.", "a");
        }

        if (bLength < (long)n * k)
        {
            throw new ArgumentException($"B has {bLength} values, fewer than n×k = {(long)n * k}.", "b");
        }

        if (cLength < (long)m * n)
        {
            throw new ArgumentException($"C has {cLength} values, fewer than m×n = {(long)m * n}.", "c");
        }
    }

    // Fallback for CPUs without 256-bit SIMD: one vectorized dot product per output.
    private static void Reference(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            var row = a.Slice(i * k, k);
            for (int j = 0; j < n; j++)
            {
                float dot = TensorPrimitives.Dot(row, b.Slice(j * k, k));
                c[(i * n) + j] = accumulate ? c[(i * n) + j] + dot : dot;
            }
        }
    }
}
