using LlmServe.Cuda.Native;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Runtime;

/// <summary>
/// A device allocation (cuMemAlloc). The address is exposed as a number for kernel arguments; the memory is
/// freed exactly once, by Dispose or the finalizer, with the owning context made current first.
/// </summary>
public sealed unsafe class DeviceBuffer : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly nint _context;

    private DeviceBuffer(ulong pointer, long bytes, nint context)
        : base(ownsHandle: true)
    {
        SetHandle((nint)pointer);
        Bytes = bytes;
        _context = context;
    }

    /// <summary>The device address.</summary>
    public ulong Pointer => (ulong)handle;

    public long Bytes { get; }

    public static DeviceBuffer Allocate(CudaContext context, long bytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        context.MakeCurrent();
        ulong ptr;
        CuDriver.Check(CuDriver.cuMemAlloc(&ptr, (nuint)bytes));
        return new DeviceBuffer(ptr, bytes, context.Handle);
    }

    /// <summary>The address <paramref name="byteOffset"/> bytes in, bounds-checked.</summary>
    public ulong At(long byteOffset)
    {
        if (byteOffset < 0 || byteOffset > Bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(byteOffset), $"offset {byteOffset} outside a {Bytes}-byte buffer");
        }

        return Pointer + (ulong)byteOffset;
    }

    protected override bool ReleaseHandle()
    {
        _ = CuDriver.cuCtxSetCurrent(_context);
        return CuDriver.cuMemFree((ulong)handle) == CuDriver.Success;
    }
}
