using LlmServe.Cuda.Kernels;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Sampling;

namespace LlmServe.Cuda.Backend;

// Sampled rows drawn on the GPU (sample_rows.cu, DeviceDraw's definition): only the token ids cross PCIe.
public sealed partial class CudaBackend : IDeviceSampler
{
    /// <inheritdoc/>
    public bool SamplesOnDevice => _options.SampleOnDevice;

    public void SampleLogits(BackendTensor logits, int rows, ReadOnlySpan<DeviceDrawParams> draws, Span<int> tokens)
    {
        if (draws.Length < rows || tokens.Length < rows)
        {
            throw new ArgumentException($"{rows} rows need {rows} draws and token slots, got {draws.Length} and {tokens.Length}");
        }

        EndGraphStep();
        var l = Cuda(logits);
        CheckRows(rows, l, l);
        long f32Bytes = l.DType == CudaDType.F32 ? 0 : 4L * rows * l.Cols;
        long argsBytes = (long)KernelLibrary.DrawArgsBytes * rows;
        var scratch = EnsureArgmaxScratch(f32Bytes + argsBytes + (4L * rows));
        ulong input = l.Pointer;
        if (l.DType == CudaDType.Bf16)
        {
            input = scratch.Pointer;
            _kernels.Bf16ToF32(_stream, l.Pointer, input, (long)rows * l.Cols);
        }

        ulong args = scratch.At(f32Bytes), outTokens = scratch.At(f32Bytes + argsBytes);
        _stream.CopyToDevice(draws[..rows], args);
        _kernels.SampleRows(_stream, input, rows, l.Cols, args, outTokens);
        _stream.CopyToHost(outTokens, tokens[..rows]);
    }
}
