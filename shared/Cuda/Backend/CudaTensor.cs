using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;

namespace LlmServe.Cuda.Backend;

/// <summary>A [Rows × Cols] row-major tensor in device memory.</summary>
public sealed class CudaTensor : BackendTensor
{
    internal CudaTensor(DeviceBuffer buffer, int rows, int cols, CudaDType dtype)
        : base(rows, cols)
    {
        Buffer = buffer;
        DType = dtype;
    }

    public CudaDType DType { get; }

    internal DeviceBuffer Buffer { get; }

    /// <summary>Device address of element [0, 0].</summary>
    public ulong Pointer => Buffer.Pointer;

    public int ElementSize => DType == CudaDType.Bf16 ? 2 : 4;

    public long Bytes => (long)Rows * Cols * ElementSize;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Buffer.Dispose();
        }
    }
}
