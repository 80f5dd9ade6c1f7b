using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;

namespace LlmServe.Cuda.Backend;

/// <summary>
/// The paged KV cache in one device allocation: per layer a K pool then a V pool, each
/// [blocks × kv heads × block size × head dim] bf16, so a (block, kv head) pair is one contiguous run that the
/// attention kernels read with 16-byte loads.
/// </summary>
public sealed class CudaKvCache : BackendKvCache
{
    private static long _nextId;

    internal CudaKvCache(CudaContext context, KvCacheSpec spec)
        : base(spec)
    {
        Id = Interlocked.Increment(ref _nextId);
        PoolBytes = (long)spec.NumBlocks * spec.NumKvHeads * spec.BlockSize * spec.HeadDim * 2;
        Buffer = DeviceBuffer.Allocate(context, PoolBytes * 2 * spec.NumLayers);
    }

    internal DeviceBuffer Buffer { get; }

    /// <summary>Unique per cache in this process (addresses are reused after a free; ids are not).</summary>
    internal long Id { get; }

    /// <summary>Bytes of one layer's K (or V) pool.</summary>
    public long PoolBytes { get; }

    /// <summary>Bytes of one block in one pool.</summary>
    public long BlockBytes => PoolBytes / Spec.NumBlocks;

    public ulong Keys(int layer) => Buffer.At(PoolBytes * 2 * CheckLayer(layer));

    public ulong Values(int layer) => Buffer.At((PoolBytes * 2 * CheckLayer(layer)) + PoolBytes);

    private int CheckLayer(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)layer, (uint)Spec.NumLayers, nameof(layer));
        return layer;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Buffer.Dispose();
        }
    }
}
