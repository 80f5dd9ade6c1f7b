using System.Numerics.Tensors;
using LlmServe.Inference.Cpu.Gemm;

namespace LlmServe.Inference.Cpu.Kernels;

/// <summary>
/// Attention of a block of consecutive query rows of one sequence and one head as two GEMMs: the visible K
/// (gathered from the paged pool) times Q gives the scores, a causal mask and softmax per row, then the
/// probabilities times V. Replaces per-(row, position) dot products for prefill chunks, where they dominate.
/// </summary>
internal static class PrefillAttentionKernel
{
    /// <summary>Query rows per work item: bounds the score scratch at QueryBlock × context.</summary>
    public const int QueryBlock = 64;

    [ThreadStatic]
    private static float[]? t_keys;

    [ThreadStatic]
    private static float[]? t_valuesT;

    [ThreadStatic]
    private static float[]? t_query;

    [ThreadStatic]
    private static float[]? t_scores;

    [ThreadStatic]
    private static float[]? t_output;

    /// <param name="firstRow">First fused-QKV row of this block; row firstRow + i sits at context position firstPosition + i.</param>
    /// <param name="queryOffset">Column of this head's q inside a QKV row.</param>
    /// <param name="outputOffset">Column of this head inside an output row.</param>
    public static void Attend(
        CpuTensor qkv,
        int firstRow,
        int rows,
        int firstPosition,
        int queryOffset,
        int headDim,
        float[] keys,
        float[] values,
        ReadOnlySpan<int> blockTable,
        int blockSize,
        int slotWidth,
        int kvOffset,
        float scale,
        CpuTensor output,
        int outputOffset)
    {
        int d = headDim;
        int visible = firstPosition + rows;
        var k = Scratch(ref t_keys, visible * d);
        var vt = Scratch(ref t_valuesT, d * visible);
        for (int p = 0; p < visible; p++)
        {
            int at = (((blockTable[p / blockSize] * blockSize) + (p % blockSize)) * slotWidth) + kvOffset;
            keys.AsSpan(at, d).CopyTo(k.Slice(p * d, d));
            for (int j = 0; j < d; j++)
            {
                vt[(j * visible) + p] = values[at + j];
            }
        }

        var q = Scratch(ref t_query, rows * d);
        for (int i = 0; i < rows; i++)
        {
            qkv.Row(firstRow + i).Slice(queryOffset, d).CopyTo(q.Slice(i * d, d));
        }

        var s = Scratch(ref t_scores, rows * visible);
        SgemmNT.Multiply(q, k, s, rows, visible, d, accumulate: false, maxThreads: 1);
        for (int i = 0; i < rows; i++)
        {
            var row = s.Slice(i * visible, visible);
            int seen = firstPosition + i + 1;
            var live = row[..seen];
            TensorPrimitives.Multiply(live, scale, live);
            TensorPrimitives.SoftMax(live, live);
            row[seen..].Clear();
        }

        var o = Scratch(ref t_output, rows * d);
        SgemmNT.Multiply(s, vt, o, rows, d, visible, accumulate: false, maxThreads: 1);
        for (int i = 0; i < rows; i++)
        {
            o.Slice(i * d, d).CopyTo(output.Row(firstRow + i).Slice(outputOffset, d));
        }
    }

    private static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[Math.Max(length, 4096)];
        }

        return buffer.AsSpan(0, length);
    }
}
