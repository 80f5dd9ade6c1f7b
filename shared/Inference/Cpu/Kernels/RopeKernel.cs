namespace LlmServe.Inference.Cpu.Kernels;

/// <summary>Neox-style ("rotate half") rotary embedding of one head in place.</summary>
internal static class RopeKernel
{
    /// <param name="head">One head of HeadDim values.</param>
    /// <param name="cosSin">The position's table row: cos[0..half) then sin[0..half).</param>
    public static void Rotate(Span<float> head, ReadOnlySpan<float> cosSin)
    {
        int half = head.Length / 2;
        var cos = cosSin[..half];
        var sin = cosSin.Slice(half, half);
        for (int i = 0; i < half; i++)
        {
            float x1 = head[i];
            float x2 = head[half + i];
            head[i] = (x1 * cos[i]) - (x2 * sin[i]);
            head[half + i] = (x2 * cos[i]) + (x1 * sin[i]);
        }
    }
}
