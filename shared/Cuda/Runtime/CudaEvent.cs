using LlmServe.Cuda.Native;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Runtime;

/// <summary>A CUDA event: a point in a stream to wait for or to time against.</summary>
public sealed unsafe class CudaEvent : SafeHandleZeroOrMinusOneIsInvalid
{
    private CudaEvent(nint ev)
        : base(ownsHandle: true) => SetHandle(ev);

    internal nint Handle => handle;

    public static CudaEvent Create(CudaContext context, bool timing = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        nint ev;
        CuDriver.Check(CuDriver.cuEventCreate(&ev, timing ? 0u : CuDriver.EventDisableTiming));
        return new CudaEvent(ev);
    }

    public void Record(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CuDriver.Check(CuDriver.cuEventRecord(handle, stream.Handle));
    }

    public void Synchronize() => CuDriver.Check(CuDriver.cuEventSynchronize(handle));

    /// <summary>Milliseconds between two recorded events.</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        float ms;
        CuDriver.Check(CuDriver.cuEventElapsedTime(&ms, start.handle, end.handle));
        return ms;
    }

    protected override bool ReleaseHandle() => CuDriver.cuEventDestroy(handle) == CuDriver.Success;
}
