namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// Packing buffers for one GEMM tile in flight, rented from a small pool so steady-state calls allocate
/// nothing and idle threads don't each pin their own megabytes.
/// </summary>
internal sealed unsafe class GemmScratch
{
    private static readonly Stack<GemmScratch> Pool = new();

    private GemmScratch(int aFloats, int bFloats)
    {
        A = new AlignedBuffer(aFloats);
        B = new AlignedBuffer(bFloats);
    }

    public AlignedBuffer A { get; }

    public AlignedBuffer B { get; }

    public static GemmScratch Rent(in GemmKernel kernel)
    {
        int aFloats = kernel.MC * GemmKernel.KC;
        int bFloats = kernel.NC * GemmKernel.KC;
        lock (Pool)
        {
            while (Pool.TryPop(out var scratch))
            {
                if (scratch.A.Length >= aFloats && scratch.B.Length >= bFloats)
                {
                    return scratch;
                }
            }
        }

        return new GemmScratch(aFloats, bFloats);
    }

    public static void Return(GemmScratch scratch)
    {
        lock (Pool)
        {
            Pool.Push(scratch);
        }
    }
}
