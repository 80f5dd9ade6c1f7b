namespace LlmServe.Inference.Backends;

/// <summary>
/// Head layout of one attention layer. A fused QKV row is laid out as
/// [q: NumHeads×HeadDim | k: NumKvHeads×HeadDim | v: NumKvHeads×HeadDim]; query head h reads KV head
/// h / (NumHeads / NumKvHeads) (grouped-query attention).
/// </summary>
public readonly record struct AttentionShape(int NumHeads, int NumKvHeads, int HeadDim)
{
    public int QWidth => NumHeads * HeadDim;

    public int KvWidth => NumKvHeads * HeadDim;

    /// <summary>Width of a fused QKV row.</summary>
    public int QkvWidth => QWidth + (2 * KvWidth);

    /// <summary>Query heads per KV head.</summary>
    public int GroupSize => NumHeads / NumKvHeads;
}
