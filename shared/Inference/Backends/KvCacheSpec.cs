namespace LlmServe.Inference.Backends;

/// <summary>
/// Geometry of a paged KV cache: for each of <see cref="NumLayers"/> layers one K pool and one V pool of
/// <see cref="NumBlocks"/> blocks × <see cref="BlockSize"/> token slots × <see cref="NumKvHeads"/> × <see cref="HeadDim"/>.
/// Slot <c>s</c> is token <c>s % BlockSize</c> of block <c>s / BlockSize</c>.
/// </summary>
public sealed record KvCacheSpec(int NumLayers, int NumBlocks, int BlockSize, int NumKvHeads, int HeadDim)
{
    /// <summary>The block size used unless configured otherwise (vLLM's default on GPU).</summary>
    public const int DefaultBlockSize = 16;

    /// <summary>Total token slots in each layer's pool.</summary>
    public long NumSlots => (long)NumBlocks * BlockSize;

    /// <summary>Bytes for K and V over all layers, given bytes per element.</summary>
    public long Bytes(int bytesPerElement) => 2L * NumLayers * NumSlots * NumKvHeads * HeadDim * bytesPerElement;

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(NumLayers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(NumBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(BlockSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(NumKvHeads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(HeadDim, 1);
    }
}
