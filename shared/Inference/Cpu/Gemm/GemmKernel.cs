using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// One instruction-set flavour of the GEMM: its micro-kernel shape (MR×NR), cache blocking, and the
/// entry points of its micro-kernel and small-M dot kernel. Chosen once from what the CPU supports.
/// </summary>
internal readonly unsafe struct GemmKernel
{
    /// <summary>K block: a kc×NR micro-panel of B stays in L1 while A micro-panels stream from L2.</summary>
    public const int KC = 256;

    private readonly delegate*<int, float*, float*, int, float*, int, bool, void> _micro;
    private readonly delegate*<int, int, float*, int, float*, int, int, float*, int, bool, void> _dot;

    private GemmKernel(GemmIsa isa, int mr, int nr, int mcPanels, int nc,
        delegate*<int, float*, float*, int, float*, int, bool, void> micro,
        delegate*<int, int, float*, int, float*, int, int, float*, int, bool, void> dot)
    {
        Isa = isa;
        MR = mr;
        NR = nr;
        MC = mr * mcPanels;
        NC = nc;
        _micro = micro;
        _dot = dot;
    }

    public GemmIsa Isa { get; }

    /// <summary>Rows of the register tile.</summary>
    public int MR { get; }

    /// <summary>Columns of the register tile (two vectors).</summary>
    public int NR { get; }

    /// <summary>Rows of the packed A block (MC×KC sized for L2).</summary>
    public int MC { get; }

    /// <summary>Columns of the packed B block (KC×NC sized for L3).</summary>
    public int NC { get; }

    /// <summary>The best kernel this CPU runs, or null when it has no usable 256/512-bit SIMD.</summary>
    public static GemmKernel? Best { get; } = For(DetectIsa());

    public static GemmIsa DetectIsa() =>
        Avx512F.IsSupported ? GemmIsa.Avx512
        : Vector256.IsHardwareAccelerated && Avx.IsSupported ? GemmIsa.Avx2
        : GemmIsa.Portable;

    public static GemmKernel? For(GemmIsa isa) => isa switch
    {
        GemmIsa.Avx512 => new GemmKernel(isa, MicroKernel512.MR, MicroKernel512.NR, 12, 1024, &MicroKernel512.Run, &DotKernel512.Run),
        GemmIsa.Avx2 => new GemmKernel(isa, MicroKernel256.MR, MicroKernel256.NR, 24, 2048, &MicroKernel256.Run, &DotKernel256.Run),
        _ => null,
    };

    /// <summary>C[rows×NR] (+)= packed A micro-panel · packed B micro-panel over kc.</summary>
    public void Micro(int rows, float* a, float* b, int kc, float* c, int ldc, bool add) => _micro(rows, a, b, kc, c, ldc, add);

    /// <summary>Up to 4×4 outputs as dot products over unpacked rows of A and B.</summary>
    public void Dot(int aRows, int bRows, float* a, int lda, float* b, int ldb, int k, float* c, int ldc, bool add) =>
        _dot(aRows, bRows, a, lda, b, ldb, k, c, ldc, add);
}
