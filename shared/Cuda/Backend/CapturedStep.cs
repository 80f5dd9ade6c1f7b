using LlmServe.Cuda.Runtime;

namespace LlmServe.Cuda.Backend;

/// <summary>A captured decode step: the graph plus the signature of the op sequence it replays.</summary>
internal sealed class CapturedStep(CudaGraph graph, long signature, int ops, int generation) : IDisposable
{
    public CudaGraph Graph { get; } = graph;

    public long Signature { get; } = signature;

    public int Ops { get; } = ops;

    /// <summary>The step-buffer generation whose addresses the graph baked in.</summary>
    public int Generation { get; } = generation;

    public void Dispose() => Graph.Dispose();
}
