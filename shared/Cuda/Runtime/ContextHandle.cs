using LlmServe.Cuda.Native;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Runtime;

/// <summary>A retained primary context; releasing it drops the retain count.</summary>
internal sealed unsafe class ContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly int _device;

    public ContextHandle(nint context, int device)
        : base(ownsHandle: true)
    {
        SetHandle(context);
        _device = device;
    }

    protected override bool ReleaseHandle() => CuDriver.cuDevicePrimaryCtxRelease(_device) == CuDriver.Success;
}
