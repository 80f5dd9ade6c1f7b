using LlmServe.Cuda.Native;
using LlmServe.Cuda.Runtime;

namespace LlmServe.Cuda.Backend;

/// <summary>An open stream capture: begun at construction, ended (and instantiated) by <see cref="End"/>.</summary>
internal sealed unsafe class GraphCapture
{
    private readonly CudaStream _stream;

    public GraphCapture(CudaStream stream)
    {
        _stream = stream;
        // Relaxed: lazily allocated scratch (cuMemAlloc) during the first capture is allowed.
        CuDriver.Check(CuDriver.cuStreamBeginCapture(stream.Handle, 2));
    }

    public CudaGraph End() => CudaGraph.FromCapture(_stream);
}
