using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// A float buffer on the pinned object heap whose usable part starts on a 64-byte (cache line, zmm)
/// boundary, so kernels can hold a raw pointer to it for its lifetime without fixed blocks.
/// </summary>
internal sealed unsafe class AlignedBuffer
{
    private const int AlignFloats = 16;
    private readonly float[] _array;

    public AlignedBuffer(long length)
    {
        Length = length;
        _array = GC.AllocateUninitializedArray<float>(checked((int)(length + AlignFloats)), pinned: true);
        float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        int skip = (int)((AlignFloats - (((nuint)start / sizeof(float)) % AlignFloats)) % AlignFloats);
        Pointer = start + skip;
    }

    public long Length { get; }

    /// <summary>Start of the aligned region; valid while this object is alive (the array never moves).</summary>
    public float* Pointer { get; }

    public Span<float> Span => new(Pointer, checked((int)Length));
}
