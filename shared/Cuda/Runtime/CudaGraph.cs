using LlmServe.Cuda.Native;
using Microsoft.Win32.SafeHandles;

namespace LlmServe.Cuda.Runtime;

/// <summary>
/// An instantiated CUDA graph made by stream capture: <see cref="Capture"/> records everything the action
/// enqueues on the stream, <see cref="Launch"/> replays it. The captured kernels read their inputs from fixed
/// device buffers, so a replay takes new inputs by copying them into those buffers first.
/// </summary>
public sealed unsafe class CudaGraph : SafeHandleZeroOrMinusOneIsInvalid
{
    private CudaGraph(nint exec)
        : base(ownsHandle: true) => SetHandle(exec);

    public static CudaGraph Capture(CudaStream stream, Action record)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(record);
        var graph = CaptureGraph(stream, record);
        try
        {
            nint exec;
            CuDriver.Check(CuDriver.cuGraphInstantiateWithFlags(&exec, graph, 0));
            return new CudaGraph(exec);
        }
        finally
        {
            _ = CuDriver.cuGraphDestroy(graph);
        }
    }

    /// <summary>Ends a capture begun on <paramref name="stream"/> elsewhere and instantiates what it recorded.</summary>
    internal static CudaGraph FromCapture(CudaStream stream)
    {
        nint graph;
        CuDriver.Check(CuDriver.cuStreamEndCapture(stream.Handle, &graph));
        try
        {
            nint exec;
            CuDriver.Check(CuDriver.cuGraphInstantiateWithFlags(&exec, graph, 0));
            return new CudaGraph(exec);
        }
        finally
        {
            _ = CuDriver.cuGraphDestroy(graph);
        }
    }

    /// <summary>Re-captures and updates this executable graph in place when the topology is unchanged; false if it must be rebuilt.</summary>
    public bool TryUpdate(CudaStream stream, Action record)
    {
        var graph = CaptureGraph(stream, record);
        try
        {
            CuDriver.GraphExecUpdateResultInfo info;
            return CuDriver.cuGraphExecUpdate(handle, graph, &info) == CuDriver.Success;
        }
        finally
        {
            _ = CuDriver.cuGraphDestroy(graph);
        }
    }

    public void Launch(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CuDriver.Check(CuDriver.cuGraphLaunch(handle, stream.Handle));
    }

    private static nint CaptureGraph(CudaStream stream, Action record)
    {
        CuDriver.Check(CuDriver.cuStreamBeginCapture(stream.Handle, CuDriver.CaptureModeThreadLocal));
        nint graph = 0;
        try
        {
            record();
        }
        finally
        {
            // Always end the capture, or the stream stays unusable after a failed record.
            var end = CuDriver.cuStreamEndCapture(stream.Handle, &graph);
            if (end != CuDriver.Success && graph == 0)
            {
                throw new CudaException("cuda", "cuStreamEndCapture", end, CuDriver.Describe(end));
            }
        }

        return graph;
    }

    protected override bool ReleaseHandle() => CuDriver.cuGraphExecDestroy(handle) == CuDriver.Success;
}
