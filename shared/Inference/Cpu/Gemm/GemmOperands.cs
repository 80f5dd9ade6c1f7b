namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>Pinned operands of one C[M×N] (+)= A[M×K]·Bᵀ call, B either row-major [N×K] or prepacked.</summary>
internal readonly unsafe struct GemmOperands
{
    public GemmOperands(float* a, float* b, PackedMatrix? packedB, float* c, int m, int n, int k, bool accumulate)
    {
        A = a;
        B = b;
        PackedB = packedB;
        C = c;
        M = m;
        N = n;
        K = k;
        Accumulate = accumulate;
    }

    public float* A { get; }

    /// <summary>Row-major B, or null when <see cref="PackedB"/> is set.</summary>
    public float* B { get; }

    public PackedMatrix? PackedB { get; }

    public float* C { get; }

    public int M { get; }

    public int N { get; }

    public int K { get; }

    public bool Accumulate { get; }
}
