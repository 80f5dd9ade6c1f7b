using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Tests.Support;

/// <summary>
/// The CPU backend with <see cref="IFusedLayerOps"/> composed from its own unfused calls on scratch buffers: the model's
/// fused call sequence must then give exactly the unfused logits. Counts the fused calls it served.
/// </summary>
internal sealed class FusingCpuBackend(int maxFusedRows, int maxRows) : IBackend, IFusedLayerOps
{
    private readonly CpuBackend _inner = new();
    private readonly Dictionary<(string Use, int Width), BackendTensor> _scratch = [];

    public int FusedCalls { get; private set; }

    public string Name => "cpu+fused";

    public bool CanFuse(int rows, int hidden) => rows <= maxFusedRows;

    public void LinearAddResidual(BackendTensor input, BackendTensor weight, BackendTensor? bias, BackendTensor residual, int rows)
    {
        Served(rows);
        var product = Scratch("product", weight.Rows);
        _inner.Linear(input, weight, bias, product, rows);

        // AddRmsNorm's add; its norm output is thrown away, so any norm weight serves.
        _inner.AddRmsNorm(product, residual, Scratch("norm weight", weight.Rows, 1), 1e-6f, Scratch("discarded", weight.Rows), rows);
    }

    public void NormLinear(BackendTensor residual, BackendTensor normWeight, float epsilon, BackendTensor weight, BackendTensor? bias, BackendTensor output, int rows)
    {
        Served(rows);
        var normed = Scratch("normed", residual.Cols);
        _inner.RmsNorm(residual, normWeight, epsilon, normed, rows);
        _inner.Linear(normed, weight, bias, output, rows);
    }

    public void NormLinearSiluAndMul(BackendTensor residual, BackendTensor normWeight, float epsilon, BackendTensor gateUp, BackendTensor output, int width, int rows)
    {
        Served(rows);
        var normed = Scratch("normed", residual.Cols);
        var product = Scratch("product", gateUp.Rows);
        _inner.RmsNorm(residual, normWeight, epsilon, normed, rows);
        _inner.Linear(normed, gateUp, null, product, rows);
        _inner.SiluAndMul(product, output, width, rows);
    }

    private void Served(int rows)
    {
        Assert.True(rows <= maxFusedRows, $"a fused op got {rows} rows; CanFuse allows {maxFusedRows}");
        FusedCalls++;
    }

    private BackendTensor Scratch(string use, int width, int rows = 0)
    {
        if (!_scratch.TryGetValue((use, width), out var t))
        {
            t = _inner.Allocate(rows == 0 ? maxRows : rows, width);
            _scratch[(use, width)] = t;
        }

        return t;
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
        foreach (var t in _scratch.Values)
        {
            t.Dispose();
        }

        _inner.Dispose();
    }
}
