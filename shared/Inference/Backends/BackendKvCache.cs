namespace LlmServe.Inference.Backends;

/// <summary>
/// A paged KV cache owned by a backend: one K and one V pool per layer (layer indices are local to the
/// pipeline stage that allocated it, 0..NumLayers-1). Block ids are handed out by the caller (the scheduler,
/// or <see cref="KvCache.BlockAllocator"/> offline); the backend only reads and writes the slots it is told.
/// </summary>
public abstract class BackendKvCache : IDisposable
{
    protected BackendKvCache(KvCacheSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
    }

    public KvCacheSpec Spec { get; }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
