using LlmServe.Cuda.Native;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Runtime;

/// <summary>Page-locked host memory (cuMemHostAlloc): the staging area for async copies at full PCIe speed.</summary>
public sealed unsafe class PinnedHostBuffer : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly nint _context;

    private PinnedHostBuffer(nint pointer, long bytes, nint context)
        : base(ownsHandle: true)
    {
        SetHandle(pointer);
        Bytes = bytes;
        _context = context;
    }

    public long Bytes { get; }

    internal void* Pointer => (void*)handle;

    public Span<T> AsSpan<T>()
        where T : unmanaged => new((void*)handle, checked((int)(Bytes / sizeof(T))));

    public static PinnedHostBuffer Allocate(CudaContext context, long bytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        context.MakeCurrent();
        void* p;
        CuDriver.Check(CuDriver.cuMemHostAlloc(&p, (nuint)bytes, CuDriver.MemHostAllocPortable));
        return new PinnedHostBuffer((nint)p, bytes, context.Handle);
    }

    protected override bool ReleaseHandle()
    {
        _ = CuDriver.cuCtxSetCurrent(_context);
        return CuDriver.cuMemFreeHost((void*)handle) == CuDriver.Success;
    }
}
