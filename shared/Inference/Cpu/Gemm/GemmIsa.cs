namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>The SIMD flavour a GEMM kernel is written for.</summary>
internal enum GemmIsa
{
    /// <summary>No wide SIMD: the reference dot-product loop.</summary>
    Portable,

    /// <summary>Vector256 with FMA (x86 AVX2/FMA3).</summary>
    Avx2,

    /// <summary>Vector512 (x86 AVX-512F).</summary>
    Avx512,
}
