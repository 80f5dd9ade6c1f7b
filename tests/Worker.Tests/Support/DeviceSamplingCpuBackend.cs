using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.Inference.Sampling;
using LlmServe.Inference.Weights;

namespace LlmServe.Worker.Tests.Support;

/// <summary>
/// The CPU backend plus <see cref="IDeviceSampler"/> done on the host with <see cref="DeviceDraw"/> (what the CUDA
/// kernel computes): lets the stage runtime's device-sampling path run without a GPU. Records the draws it served.
/// </summary>
internal sealed class DeviceSamplingCpuBackend : IBackend, IGreedyLogitsReader, IDeviceSampler
{
    private readonly CpuBackend _inner = new(new BackendOptions { Threads = 1 });

    public List<DeviceDrawParams[]> SampleCalls { get; } = [];

    public int ArgmaxCalls { get; private set; }

    public bool SamplesOnDevice => true;

    public void SampleLogits(BackendTensor logits, int rows, ReadOnlySpan<DeviceDrawParams> draws, Span<int> tokens)
    {
        SampleCalls.Add(draws[..rows].ToArray());
        float[] host = new float[rows * logits.Cols];
        _inner.CopyToHost(logits, rows, host);
        for (int r = 0; r < rows; r++)
        {
            tokens[r] = DeviceDraw.Draw(host.AsSpan(r * logits.Cols, logits.Cols), draws[r]);
        }
    }

    public void ArgmaxLogits(BackendTensor logits, int rows, Span<int> tokens, Span<float> logprobs)
    {
        ArgmaxCalls++;
        _inner.ArgmaxLogits(logits, rows, tokens, logprobs);
    }

    public string Name => "cpu+device-draw";

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

    public void Dispose() => _inner.Dispose();
}
