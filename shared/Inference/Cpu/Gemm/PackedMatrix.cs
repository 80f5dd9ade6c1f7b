namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// A B operand (row-major [N×K], e.g. a linear layer's weight [out_features, in_features]) packed once
/// into the GEMM micro-kernel's panel layout, so <see cref="SgemmNT.Multiply(ReadOnlySpan{float}, PackedMatrix, Span{float}, int, bool)"/>
/// skips packing B on every call. Pack weights at model load; the original array can then be dropped
/// (the packed copy holds the same values, padded to a multiple of the kernel's panel width).
/// </summary>
/// <remarks>
/// Layout: K is cut into blocks of <see cref="GemmKernel.KC"/>; block p holds ceil(N/NR) panels of
/// kcₚ×NR floats (NR consecutive B rows interleaved per k), zero-padded past N. Packing targets the
/// kernel of the CPU it runs on; a packed matrix is not a file format.
/// </remarks>
public sealed unsafe class PackedMatrix
{
    private readonly AlignedBuffer _data;

    private PackedMatrix(int n, int k, GemmKernel? kernel)
    {
        N = n;
        K = k;
        Kernel = kernel;
        PaddedN = kernel is { } kern ? (n + kern.NR - 1) / kern.NR * kern.NR : n;
        _data = new AlignedBuffer(Math.Max(1L, (long)PaddedN * k));
    }

    /// <summary>Rows of B (output features).</summary>
    public int N { get; }

    /// <summary>Columns of B (input features, the reduction dimension).</summary>
    public int K { get; }

    internal GemmKernel? Kernel { get; }

    internal int PaddedN { get; }

    /// <summary>Packs row-major <paramref name="b"/> [<paramref name="n"/>×<paramref name="k"/>] for the best kernel of this CPU.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int n, int k) => Pack(b, n, k, GemmKernel.Best);

    internal static PackedMatrix Pack(ReadOnlySpan<float> b, int n, int k, GemmKernel? kernel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (b.Length < (long)n * k)
        {
            throw new ArgumentException($"B has {b.Length} values, fewer than n×k = {(long)n * k}.", nameof(b));
        }

        var packed = new PackedMatrix(n, k, kernel);
        if (kernel is not { } kern)
        {
            // Without a SIMD kernel the reference path reads B row-major: keep it as is.
            b[..(n * k)].CopyTo(packed._data.Span);
            return packed;
        }

        fixed (float* src = b)
        {
            for (int pc = 0; pc < k; pc += GemmKernel.KC)
            {
                int kc = Math.Min(GemmKernel.KC, k - pc);
                Packing.PackB(src + pc, k, n, kc, kern.NR, packed.Block(pc, 0));
            }
        }

        return packed;
    }

    /// <summary>The packed data as row-major B (only when no SIMD kernel packed it).</summary>
    internal ReadOnlySpan<float> RowMajor => _data.Span;

    /// <summary>The first panel of K block <paramref name="pc"/> covering B rows from <paramref name="jc"/> (a multiple of NR).</summary>
    internal float* Block(int pc, int jc)
    {
        int kc = Math.Min(GemmKernel.KC, K - pc);
        return _data.Pointer + ((long)pc * PaddedN) + ((long)jc * kc);
    }
}
