using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu.Gemm;

namespace LlmServe.Inference.Cpu;

/// <summary>A CPU backend tensor: fp32 row-major in a managed array.</summary>
public sealed class CpuTensor : BackendTensor
{
    public CpuTensor(int rows, int cols)
        : base(rows, cols)
    {
        Data = new float[checked(rows * cols)];
    }

    public CpuTensor(float[] data, int rows, int cols)
        : base(rows, cols)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(data.Length, rows * cols);
        Data = data;
    }

    public float[] Data { get; }

    /// <summary>The same values packed for the GEMM micro-kernel, made on first use as a prefill weight.</summary>
    internal PackedMatrix? Packed { get; set; }

    /// <summary>Rows [0, rows) as one span.</summary>
    public Span<float> RowsSpan(int rows) => Data.AsSpan(0, rows * Cols);

    public Span<float> Row(int row) => Data.AsSpan(row * Cols, Cols);
}
