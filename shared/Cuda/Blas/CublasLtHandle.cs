using LlmServe.Cuda.Native;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Blas;

/// <summary>A cuBLASLt library handle.</summary>
internal sealed unsafe class CublasLtHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private CublasLtHandle(nint h)
        : base(ownsHandle: true) => SetHandle(h);

    internal nint Handle => handle;

    public static CublasLtHandle Create()
    {
        nint h;
        CublasLtApi.Check(CublasLtApi.cublasLtCreate(&h));
        return new CublasLtHandle(h);
    }

    protected override bool ReleaseHandle() => CublasLtApi.cublasLtDestroy(handle) == CublasLtApi.StatusSuccess;
}
