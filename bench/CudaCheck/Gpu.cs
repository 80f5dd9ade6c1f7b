using LlmServe.Cuda.Backend;
using LlmServe.Cuda.Blas;
using LlmServe.Cuda.Kernels;
using LlmServe.Cuda.Runtime;

namespace LlmServe.CudaCheck;

/// <summary>The check harness's handle on the GPU: upload/download/poison helpers over the backend's stream.</summary>
internal sealed class Gpu(CudaBackend backend)
{
    private readonly List<DeviceBuffer> _buffers = [];

    public CudaBackend Backend { get; } = backend;

    public CudaContext Context => Backend.Context;

    public CudaStream Stream => Backend.Stream;

    public KernelLibrary Kernels => Backend.Kernels;

    public CublasLtGemm Gemm => Backend.Gemm;

    public DeviceBuffer Alloc(long bytes)
    {
        var b = DeviceBuffer.Allocate(Context, Math.Max(bytes, 16));
        _buffers.Add(b);
        return b;
    }

    /// <summary>Rounds <paramref name="values"/> to bf16 in place (so the reference sees what the GPU sees) and uploads them.</summary>
    public ulong Bf16(float[] values)
    {
        var bits = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            bits[i] = Bf16Bits(values[i]);
            values[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
        }

        var b = Alloc(2L * values.Length);
        Stream.CopyToDevice<ushort>(bits, b.Pointer);
        return b.Pointer;
    }

    public ulong F32(float[] values)
    {
        var b = Alloc(4L * values.Length);
        Stream.CopyToDevice<float>(values, b.Pointer);
        return b.Pointer;
    }

    public ulong Ints(int[] values)
    {
        var b = Alloc(4L * Math.Max(1, values.Length));
        Stream.CopyToDevice<int>(values, b.Pointer);
        return b.Pointer;
    }

    /// <summary>An output buffer of <paramref name="count"/> bf16 elements filled with NaN, so unwritten elements show.</summary>
    public ulong PoisonedBf16(long count)
    {
        var b = Alloc(2 * count);
        Stream.Fill16(b.Pointer, 0x7FC1, count);
        return b.Pointer;
    }

    public ulong PoisonedF32(long count)
    {
        var b = Alloc(4 * count);
        Stream.Fill32(b.Pointer, 0x7FC00001, count);
        return b.Pointer;
    }

    public float[] ReadBf16(ulong pointer, long count)
    {
        var bits = new ushort[count];
        Stream.CopyToHost<ushort>(pointer, bits);
        return [.. bits.Select(b => BitConverter.Int32BitsToSingle(b << 16))];
    }

    public float[] ReadF32(ulong pointer, long count)
    {
        var f = new float[count];
        Stream.CopyToHost<float>(pointer, f);
        return f;
    }

    public int[] ReadInts(ulong pointer, long count)
    {
        var f = new int[count];
        Stream.CopyToHost<int>(pointer, f);
        return f;
    }

    public void FreeAll()
    {
        Stream.Synchronize();
        foreach (var b in _buffers)
        {
            b.Dispose();
        }

        _buffers.Clear();
    }

    public static ushort Bf16Bits(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if ((u & 0x7fffffff) > 0x7f800000)
        {
            return (ushort)((u >> 16) | 0x40);
        }

        u += 0x7fff + ((u >> 16) & 1);
        return (ushort)(u >> 16);
    }

    public static float RoundBf16(float f) => BitConverter.Int32BitsToSingle(Bf16Bits(f) << 16);
}
