namespace LlmServe.Scheduler.KvCache;

/// <summary>
/// One sequence's view of the KV cache: its block table, the hash chain of its full blocks, and cache hits
/// found but not yet taken. Owned by a sequence, changed only through <see cref="KvCacheManager"/>.
/// </summary>
public sealed class KvSequence
{
    private int[] _blocks = new int[4];
    private BlockHash[] _hashes = new BlockHash[4];
    private int[] _pendingHits = new int[4];

    /// <summary>Physical block ids in position order.</summary>
    public ReadOnlySpan<int> BlockTable => _blocks.AsSpan(0, BlockCount);

    public int BlockCount { get; private set; }

    /// <summary>Hashes computed so far for the leading full blocks; valid while the tokens they cover don't change.</summary>
    internal int HashCount { get; private set; }

    /// <summary>Leading blocks of the table that are registered in the prefix cache (or were cache hits).</summary>
    internal int RegisteredCount { get; set; }

    internal int PendingHitCount { get; private set; }

    internal int PendingQueryTokens { get; set; }

    internal ReadOnlySpan<int> PendingHits => _pendingHits.AsSpan(0, PendingHitCount);

    internal BlockHash HashAt(int index) => _hashes[index];

    /// <summary>Sizes the table and hash chain for a sequence expected to reach <paramref name="blocks"/> blocks, so growth does not reallocate.</summary>
    public void Reserve(int blocks)
    {
        if (blocks > _blocks.Length)
        {
            Array.Resize(ref _blocks, blocks);
        }
        if (blocks > _hashes.Length)
        {
            Array.Resize(ref _hashes, blocks);
        }
    }

    internal void AddBlock(int blockId)
    {
        if (BlockCount == _blocks.Length)
        {
            Array.Resize(ref _blocks, _blocks.Length * 2);
        }
        _blocks[BlockCount++] = blockId;
    }

    internal void ClearBlocks()
    {
        BlockCount = 0;
        RegisteredCount = 0;
    }

    internal void AddHash(BlockHash hash)
    {
        if (HashCount == _hashes.Length)
        {
            Array.Resize(ref _hashes, _hashes.Length * 2);
        }
        _hashes[HashCount++] = hash;
    }

    /// <summary>Forgets hashes from <paramref name="count"/> on (the tokens they covered changed).</summary>
    internal void TruncateHashes(int count) => HashCount = Math.Min(HashCount, count);

    internal void AddPendingHit(int blockId)
    {
        if (PendingHitCount == _pendingHits.Length)
        {
            Array.Resize(ref _pendingHits, _pendingHits.Length * 2);
        }
        _pendingHits[PendingHitCount++] = blockId;
    }

    internal void ClearPendingHits()
    {
        PendingHitCount = 0;
        PendingQueryTokens = 0;
    }

    /// <summary>Forgets everything, for reuse by another sequence.</summary>
    internal void Reset()
    {
        BlockCount = 0;
        RegisteredCount = 0;
        HashCount = 0;
        ClearPendingHits();
    }
}
