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

    public CudaDType DType { get; private set; }

    internal DeviceBuffer Buffer { get; private set; }

    /// <summary>Weights that project onto the vocabulary (embedding / lm_head): their GEMM output is kept in fp32.</summary>
    internal bool ProjectsToVocabulary { get; init; }

    /// <summary>
    /// Switches an activation to fp32 storage, once: logits are only ever read back or sampled, and bf16 logits
    /// (spacing 1/64 near 2-4) would turn near-ties into different greedy tokens than fp32.
    /// </summary>
    internal void PromoteToF32(CudaContext context)
    {
        if (DType == CudaDType.F32)
        {
            return;
        }

        var f32 = DeviceBuffer.Allocate(context, Math.Max(4L, 4L * Rows * Cols));
        Buffer.Dispose();
        Buffer = f32;
        DType = CudaDType.F32;
    }

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
