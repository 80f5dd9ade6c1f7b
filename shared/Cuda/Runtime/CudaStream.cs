using LlmServe.Cuda.Native;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Runtime;

/// <summary>A non-blocking CUDA stream with the async copies the backend needs.</summary>
public sealed unsafe class CudaStream : SafeHandleZeroOrMinusOneIsInvalid
{
    private CudaStream(nint stream)
        : base(ownsHandle: true) => SetHandle(stream);

    internal nint Handle => handle;

    public static CudaStream Create(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        nint s;
        CuDriver.Check(CuDriver.cuStreamCreate(&s, CuDriver.StreamNonBlocking));
        return new CudaStream(s);
    }

    public void Synchronize() => CuDriver.Check(CuDriver.cuStreamSynchronize(handle));

    public void Wait(CudaEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        CuDriver.Check(CuDriver.cuStreamWaitEvent(handle, ev.Handle, 0));
    }

    /// <summary>Host to device; with pageable <paramref name="source"/> the driver stages it, so the call returns after the read.</summary>
    public void CopyToDevice<T>(ReadOnlySpan<T> source, ulong destination)
        where T : unmanaged
    {
        if (source.IsEmpty)
        {
            return;
        }

        fixed (T* p = source)
        {
            CuDriver.Check(CuDriver.cuMemcpyHtoDAsync(destination, p, (nuint)(source.Length * sizeof(T)), handle));
        }
    }

    /// <summary>Host to device from pinned memory: truly asynchronous; keep the pinned buffer untouched until the stream passes.</summary>
    public void CopyToDevice(PinnedHostBuffer source, long sourceOffset, ulong destination, long bytes)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckRange(source.Bytes, sourceOffset, bytes);
        CuDriver.Check(CuDriver.cuMemcpyHtoDAsync(destination, (byte*)source.Pointer + sourceOffset, (nuint)bytes, handle));
    }

    /// <summary>Device to host, then waits: the span is filled when this returns.</summary>
    public void CopyToHost<T>(ulong source, Span<T> destination)
        where T : unmanaged
    {
        if (destination.IsEmpty)
        {
            return;
        }

        fixed (T* p = destination)
        {
            CuDriver.Check(CuDriver.cuMemcpyDtoHAsync(p, source, (nuint)(destination.Length * sizeof(T)), handle));
            CuDriver.Check(CuDriver.cuStreamSynchronize(handle));
        }
    }

    /// <summary>Device to pinned host memory, asynchronous.</summary>
    public void CopyToHost(ulong source, PinnedHostBuffer destination, long destinationOffset, long bytes)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckRange(destination.Bytes, destinationOffset, bytes);
        CuDriver.Check(CuDriver.cuMemcpyDtoHAsync((byte*)destination.Pointer + destinationOffset, source, (nuint)bytes, handle));
    }

    public void CopyDeviceToDevice(ulong source, ulong destination, long bytes) =>
        CuDriver.Check(CuDriver.cuMemcpyDtoDAsync(destination, source, (nuint)bytes, handle));

    public void Fill8(ulong destination, byte value, long count) =>
        CuDriver.Check(CuDriver.cuMemsetD8Async(destination, value, (nuint)count, handle));

    public void Fill16(ulong destination, ushort value, long count) =>
        CuDriver.Check(CuDriver.cuMemsetD16Async(destination, value, (nuint)count, handle));

    public void Fill32(ulong destination, uint value, long count) =>
        CuDriver.Check(CuDriver.cuMemsetD32Async(destination, value, (nuint)count, handle));

    private static void CheckRange(long size, long offset, long bytes)
    {
        if (offset < 0 || bytes < 0 || offset + bytes > size)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), $"[{offset}, {offset + bytes}) is outside a {size}-byte pinned buffer");
        }
    }

    protected override bool ReleaseHandle() => CuDriver.cuStreamDestroy(handle) == CuDriver.Success;
}
