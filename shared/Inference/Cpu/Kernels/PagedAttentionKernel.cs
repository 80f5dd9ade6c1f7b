using System.Numerics.Tensors;

namespace LlmServe.Inference.Cpu.Kernels;

/// <summary>
/// Attention of one query head over a sequence's paged context: scores against K at every visible position,
/// softmax, weighted sum of V. Positions are mapped to slots through the block table.
/// </summary>
internal static class PagedAttentionKernel
{
    [ThreadStatic]
    private static float[]? t_scores;

    /// <param name="query">One query head [headDim].</param>
    /// <param name="keys">The layer's K pool [slot][kv head][head dim].</param>
    /// <param name="values">The layer's V pool, same layout.</param>
    /// <param name="blockTable">The sequence's block table.</param>
    /// <param name="visible">Number of context positions this query sees (its position + 1).</param>
    /// <param name="kvOffset">Offset of the KV head inside a slot (kvHead × headDim).</param>
    public static void Attend(
        ReadOnlySpan<float> query,
        float[] keys,
        float[] values,
        ReadOnlySpan<int> blockTable,
        int blockSize,
        int slotWidth,
        int kvOffset,
        int visible,
        float scale,
        Span<float> output)
    {
        int headDim = query.Length;
        var scores = Scratch(visible);
        for (int p = 0; p < visible; p++)
        {
            int slot = (blockTable[p / blockSize] * blockSize) + (p % blockSize);
            scores[p] = TensorPrimitives.Dot(query, keys.AsSpan((slot * slotWidth) + kvOffset, headDim)) * scale;
        }

        TensorPrimitives.SoftMax(scores, scores);
        output.Clear();
        for (int p = 0; p < visible; p++)
        {
            int slot = (blockTable[p / blockSize] * blockSize) + (p % blockSize);
            TensorPrimitives.MultiplyAdd(values.AsSpan((slot * slotWidth) + kvOffset, headDim), scores[p], output, output);
        }
    }

    private static Span<float> Scratch(int length)
    {
        var buffer = t_scores;
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[Math.Max(length, 1024)];
            t_scores = buffer;
        }

        return buffer.AsSpan(0, length);
    }
}
