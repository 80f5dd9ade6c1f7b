using System.Numerics.Tensors;

namespace LlmServe.Inference.Cpu.Kernels;

/// <summary>RMSNorm as Hugging Face computes it: x · rsqrt(mean(x²) + ε), then · weight.</summary>
internal static class RmsNormKernel
{
    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> output)
    {
        float meanSquare = TensorPrimitives.SumOfSquares(x) / x.Length;
        float scale = 1f / MathF.Sqrt(meanSquare + epsilon);
        TensorPrimitives.Multiply(x, scale, output);
        TensorPrimitives.Multiply(output, weight, output);
    }
}
