namespace LlmServe.Scheduler.KvCache;

/// <summary>
/// Answers "can this sequence get slots for N more tokens?" and hands out blocks: per-sequence block tables,
/// automatic prefix caching of full blocks, forks that share blocks, and a watermark that keeps admissions
/// from eating the last blocks running sequences need to grow. Knows nothing about batching.
/// </summary>
public sealed class KvCacheManager
{
    private readonly BlockPool _pool;

    /// <param name="watermarkBlocks">Blocks kept free when admitting new sequences (not when growing running ones).</param>
    public KvCacheManager(int numBlocks, int blockSize, bool enablePrefixCaching, int watermarkBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(watermarkBlocks);
        _pool = new BlockPool(numBlocks, blockSize);
        EnablePrefixCaching = enablePrefixCaching;
        WatermarkBlocks = Math.Min(watermarkBlocks, numBlocks - 1);
    }

    public BlockPool Pool => _pool;

    public int NumBlocks => _pool.NumBlocks;

    public int BlockSize => _pool.BlockSize;

    public bool EnablePrefixCaching { get; }

    public int WatermarkBlocks { get; }

    public int FreeBlocks => _pool.FreeCount;

    /// <summary>Fraction of blocks referenced by sequences (cached-but-free blocks count as free), 0..1.</summary>
    public double Usage => 1.0 - ((double)_pool.FreeCount / _pool.NumBlocks);

    /// <summary>Prompt tokens looked up in the prefix cache by admitted sequences.</summary>
    public long PrefixQueryTokens { get; private set; }

    /// <summary>Of <see cref="PrefixQueryTokens"/>, the tokens served from cached blocks.</summary>
    public long PrefixHitTokens { get; private set; }

    public int BlocksFor(int tokens) => (tokens + BlockSize - 1) / BlockSize;

    /// <summary>
    /// Finds the longest run of cached full blocks that starts <paramref name="tokens"/>, leaving at least one
    /// token to compute (the model needs one to produce logits). The hits are remembered on the sequence and
    /// taken by the next <see cref="TryAllocateSlots"/>; nothing is referenced yet.
    /// </summary>
    /// <returns>Tokens covered by the hits (a multiple of the block size).</returns>
    public int FindCachedPrefix(KvSequence sequence, ReadOnlySpan<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        if (sequence.BlockCount != 0)
        {
            throw new InvalidOperationException("A cached prefix is looked up only for a sequence that holds no blocks.");
        }
        sequence.ClearPendingHits();
        sequence.PendingQueryTokens = tokens.Length;
        if (!EnablePrefixCaching)
        {
            return 0;
        }

        int maxBlocks = (tokens.Length - 1) / BlockSize;
        EnsureHashes(sequence, tokens, maxBlocks);
        for (int i = 0; i < maxBlocks; i++)
        {
            int blockId = _pool.Lookup(sequence.HashAt(i), tokens.Slice(i * BlockSize, BlockSize));
            if (blockId < 0)
            {
                break;
            }
            sequence.AddPendingHit(blockId);
        }
        return sequence.PendingHitCount * BlockSize;
    }

    /// <summary>
    /// Makes room for <paramref name="newTokens"/> more tokens after <paramref name="computedTokens"/>, taking any
    /// pending cache hits first. All or nothing: on failure the sequence is unchanged (pending hits dropped).
    /// </summary>
    /// <param name="tokens">All the sequence's known tokens; at least <paramref name="computedTokens"/> + <paramref name="newTokens"/> long.</param>
    /// <param name="computedTokens">Tokens whose KV is (or, with pending hits, will be) in the table's blocks.</param>
    /// <param name="applyWatermark">True when admitting a sequence: keep the watermark free for running ones.</param>
    /// <param name="pendingTokens">
    /// Tokens after <paramref name="tokens"/> still being sampled (a step planned ahead of a result): they get slots,
    /// and the block they complete is registered in the prefix cache by a later call, once they are known.
    /// </param>
    public bool TryAllocateSlots(KvSequence sequence, ReadOnlySpan<int> tokens, int computedTokens, int newTokens, bool applyWatermark,
        int pendingTokens = 0)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        int totalTokens = computedTokens + newTokens;
        if (newTokens < 0 || pendingTokens < 0 || totalTokens > tokens.Length + pendingTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(newTokens), "Slots are allocated only for known tokens.");
        }

        ReadOnlySpan<int> hits = sequence.PendingHits;
        int needed = BlocksFor(totalTokens) - sequence.BlockCount - hits.Length;
        int evictableHits = 0;
        foreach (int blockId in hits)
        {
            if (_pool.RefCount(blockId) == 0)
            {
                evictableHits++;
            }
        }
        int available = _pool.FreeCount - evictableHits - (applyWatermark ? WatermarkBlocks : 0);
        if (needed > available)
        {
            sequence.ClearPendingHits();
            return false;
        }

        if (sequence.PendingQueryTokens > 0)
        {
            PrefixQueryTokens += sequence.PendingQueryTokens;
            PrefixHitTokens += hits.Length * BlockSize;
        }
        foreach (int blockId in hits)
        {
            _pool.Touch(blockId);
            sequence.AddBlock(blockId);
        }
        if (sequence.RegisteredCount == sequence.BlockCount - hits.Length)
        {
            sequence.RegisteredCount = sequence.BlockCount;
        }
        sequence.ClearPendingHits();
        for (int i = 0; i < needed; i++)
        {
            sequence.AddBlock(_pool.Allocate());
        }

        if (EnablePrefixCaching)
        {
            RegisterFullBlocks(sequence, tokens, Math.Min(totalTokens, tokens.Length) / BlockSize);
        }
        return true;
    }

    /// <summary>
    /// Shares the leading full blocks of <paramref name="parent"/> that cover at most <paramref name="sharedTokens"/>
    /// tokens with <paramref name="child"/>, whose tokens start with the same <paramref name="sharedTokens"/> tokens.
    /// Partial blocks are never shared: each sequence writes its own.
    /// </summary>
    /// <returns>Tokens the child now has computed (a multiple of the block size).</returns>
    public int Fork(KvSequence parent, KvSequence child, int sharedTokens)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(child);
        if (child.BlockCount != 0)
        {
            throw new InvalidOperationException("Only a sequence that holds no blocks can be forked into.");
        }
        child.ClearPendingHits();
        int blocks = Math.Min(sharedTokens / BlockSize, parent.BlockCount);
        ReadOnlySpan<int> table = parent.BlockTable;
        for (int i = 0; i < blocks; i++)
        {
            _pool.Touch(table[i]);
            child.AddBlock(table[i]);
        }
        child.TruncateHashes(0);
        int hashes = Math.Min(blocks, parent.HashCount);
        for (int i = 0; i < hashes; i++)
        {
            child.AddHash(parent.HashAt(i));
        }
        child.RegisteredCount = Math.Min(blocks, parent.RegisteredCount);
        return blocks * BlockSize;
    }

    /// <summary>Releases every block of the sequence, last block first so a shared prefix outlives its tails in the LRU.</summary>
    public void Free(KvSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ReadOnlySpan<int> table = sequence.BlockTable;
        for (int i = table.Length - 1; i >= 0; i--)
        {
            _pool.Release(table[i]);
        }
        sequence.ClearBlocks();
        sequence.ClearPendingHits();
    }

    /// <summary>Drops every allocation and cached entry (the workers' KV is gone). Sequences must be <see cref="KvSequence.Reset"/> by their owners.</summary>
    public void Reset() => _pool.Reset();

    private void RegisterFullBlocks(KvSequence sequence, ReadOnlySpan<int> tokens, int fullBlocks)
    {
        fullBlocks = Math.Min(fullBlocks, sequence.BlockCount);
        if (sequence.RegisteredCount >= fullBlocks)
        {
            return;
        }
        EnsureHashes(sequence, tokens, fullBlocks);
        ReadOnlySpan<int> table = sequence.BlockTable;
        for (int i = sequence.RegisteredCount; i < fullBlocks; i++)
        {
            _pool.Register(table[i], sequence.HashAt(i), tokens.Slice(i * BlockSize, BlockSize));
        }
        sequence.RegisteredCount = fullBlocks;
    }

    private void EnsureHashes(KvSequence sequence, ReadOnlySpan<int> tokens, int blocks)
    {
        for (int i = sequence.HashCount; i < blocks; i++)
        {
            BlockHash parent = i == 0 ? BlockHash.Root : sequence.HashAt(i - 1);
            sequence.AddHash(BlockHash.Compute(parent, tokens.Slice(i * BlockSize, BlockSize)));
        }
    }
}
