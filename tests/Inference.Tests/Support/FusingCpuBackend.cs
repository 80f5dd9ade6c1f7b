using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Tests.Support;

/// <summary>
/// The CPU backend with <see cref="IFusedGateUpActivation"/> composed from its own unfused calls on a scratch buffer,
/// and (with <paramref name="persistentDecode"/>) <see cref="IPersistentDecodeLayers"/> for one-row steps composed from
/// the op sequence of a <see cref="DecoderLayerStack"/> over the plain backend: the model's fused call sequences must
/// then give the unfused logits. Counts the calls it served.
/// </summary>
internal sealed class FusingCpuBackend(int maxFusedRows, int maxRows, bool persistentDecode = false) : IBackend, IFusedGateUpActivation, IPersistentDecodeLayers
{
    private readonly CpuBackend _inner = new();
    private readonly Dictionary<DecodeLayerSet, DecoderLayerStack> _stacks = [];
    private BackendTensor? _product;

    public int FusedCalls { get; private set; }

    public int PersistentCalls { get; private set; }

    /// <summary>residualHoldsInput of each persistent call, in order.</summary>
    public List<bool> PersistentInputs { get; } = [];

    public bool TryRunDecodeLayers(DecodeLayerSet set, BackendKvCache cache, int rows, bool residualHoldsInput)
    {
        if (!persistentDecode || rows != 1)
        {
            return false;
        }

        PersistentCalls++;
        PersistentInputs.Add(residualHoldsInput);
        if (!_stacks.TryGetValue(set, out var stack))
        {
            stack = new DecoderLayerStack(_inner, set.Layers, set.Activations, set.Shape, set.CosSin, set.IntermediateSize, set.RmsNormEpsilon);
            _stacks[set] = stack;
        }

        stack.Run(rows, cache, residualHoldsInput);
        return true;
    }

    public string Name => "cpu+fused";

    public bool FusesGateUpActivation(int rows) => rows <= maxFusedRows;

    public void LinearSiluAndMul(BackendTensor input, BackendTensor gateUp, BackendTensor output, int width, int rows)
    {
        Assert.True(rows <= maxFusedRows, $"the fused gate-up got {rows} rows; FusesGateUpActivation allows {maxFusedRows}");
        FusedCalls++;
        _product ??= _inner.Allocate(maxRows, gateUp.Rows);
        _inner.Linear(input, gateUp, null, _product, rows);
        _inner.SiluAndMul(_product, output, width, rows);
    }

    public BackendTensor UploadWeight(IReadOnlyList<TensorView> parts) => _inner.UploadWeight(parts);

    public BackendTensor UploadFloats(ReadOnlySpan<float> data, int rows, int cols) => _inner.UploadFloats(data, rows, cols);

    public BackendTensor Allocate(int rows, int cols) => _inner.Allocate(rows, cols);

    public BackendKvCache AllocateKvCache(KvCacheSpec spec) => _inner.AllocateKvCache(spec);

    public void PrepareStep(in StepBatch batch, BackendKvCache cache) => _inner.PrepareStep(batch, cache);

    public void Embedding(BackendTensor table, BackendTensor output) => _inner.Embedding(table, output);

    public void Linear(BackendTensor input, BackendTensor weight, BackendTensor? bias, BackendTensor output, int rows) => _inner.Linear(input, weight, bias, output, rows);

    public void RmsNorm(BackendTensor input, BackendTensor weight, float epsilon, BackendTensor output, int rows) => _inner.RmsNorm(input, weight, epsilon, output, rows);

    public void AddRmsNorm(BackendTensor input, BackendTensor residual, BackendTensor weight, float epsilon, BackendTensor output, int rows) =>
        _inner.AddRmsNorm(input, residual, weight, epsilon, output, rows);

    public void HeadRmsNorm(BackendTensor x, int firstColumn, int numHeads, int headDim, BackendTensor weight, float epsilon, int rows) =>
        _inner.HeadRmsNorm(x, firstColumn, numHeads, headDim, weight, epsilon, rows);

    public void RopeAndWriteKv(BackendTensor qkv, AttentionShape shape, BackendTensor cosSin, BackendKvCache cache, int layer) =>
        _inner.RopeAndWriteKv(qkv, shape, cosSin, cache, layer);

    public void Attention(BackendTensor qkv, AttentionShape shape, BackendKvCache cache, int layer, float scale, BackendTensor output) =>
        _inner.Attention(qkv, shape, cache, layer, scale, output);

    public void SiluAndMul(BackendTensor gateUp, BackendTensor output, int width, int rows) => _inner.SiluAndMul(gateUp, output, width, rows);

    public void GatherLogitRows(BackendTensor input, BackendTensor output) => _inner.GatherLogitRows(input, output);

    public void CopyKvBlock(BackendKvCache cache, int source, int destination) => _inner.CopyKvBlock(cache, source, destination);

    public void CopyToHost(BackendTensor source, int rows, Span<float> destination) => _inner.CopyToHost(source, rows, destination);

    public void CopyFromHost(ReadOnlySpan<float> source, BackendTensor destination, int rows) => _inner.CopyFromHost(source, destination, rows);

    public void Synchronize() => _inner.Synchronize();

    public void Dispose()
    {
        _product?.Dispose();
        _inner.Dispose();
    }
}
