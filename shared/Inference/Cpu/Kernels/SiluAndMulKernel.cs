using System.Numerics.Tensors;

namespace LlmServe.Inference.Cpu.Kernels;

/// <summary>SwiGLU: silu(gate) · up.</summary>
internal static class SiluAndMulKernel
{
    public static void Apply(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> output)
    {
        // silu(g) = g · sigmoid(g)
        TensorPrimitives.Sigmoid(gate, output);
        TensorPrimitives.Multiply(output, gate, output);
        TensorPrimitives.Multiply(output, up, output);
    }
}
