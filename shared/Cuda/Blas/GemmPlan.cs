using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Blas;

/// <summary>The cuBLASLt descriptors and the heuristic's chosen algorithm for one <see cref="GemmShape"/>.</summary>
internal sealed unsafe class GemmPlan : IDisposable
{
    public nint Desc;
    public nint A;
    public nint B;
    public nint C;
    public CublasLtApi.MatmulAlgo Algo;
    public nuint WorkspaceBytes;

    /// <summary>Whether the algorithm was picked by timing the heuristic's candidates rather than taking its first.</summary>
    public bool Tuned;

    public void Dispose()
    {
        if (Desc != 0)
        {
            _ = CublasLtApi.cublasLtMatmulDescDestroy(Desc);
        }

        foreach (var layout in new[] { A, B, C })
        {
            if (layout != 0)
            {
                _ = CublasLtApi.cublasLtMatrixLayoutDestroy(layout);
            }
        }

        Desc = A = B = C = 0;
    }
}
