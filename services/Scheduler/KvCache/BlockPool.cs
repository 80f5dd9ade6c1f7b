namespace LlmServe.Scheduler.KvCache;

/// <summary>
/// Owns the physical KV blocks: reference counts, the free queue and the hash → block map of prefix caching.
/// Knows nothing about sequences or batching.
/// </summary>
/// <remarks>
/// The free queue is a doubly linked list over arrays (no allocation per operation). Blocks without a hash
/// go to its head, so they are reused first; cached blocks go to its tail, so the least recently freed cached
/// block is evicted first (LRU). A cached block that a new sequence hits is taken out of the queue again.
/// </remarks>
public sealed class BlockPool
{
    private const int None = -1;

    private readonly int[] _refCount;
    private readonly BlockHash[] _hash;
    private readonly bool[] _isCached;
    private readonly int[] _tokens;
    private readonly int[] _prev;
    private readonly int[] _next;
    private readonly bool[] _inFreeQueue;
    private readonly Dictionary<BlockHash, int> _byHash;
    private readonly int _sentinel;

    public BlockPool(int numBlocks, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blockSize, BlockHash.MaxBlockSize);
        NumBlocks = numBlocks;
        BlockSize = blockSize;
        _refCount = new int[numBlocks];
        _hash = new BlockHash[numBlocks];
        _isCached = new bool[numBlocks];
        _tokens = new int[checked(numBlocks * blockSize)];
        _prev = new int[numBlocks + 1];
        _next = new int[numBlocks + 1];
        _inFreeQueue = new bool[numBlocks];
        _byHash = new Dictionary<BlockHash, int>(numBlocks);
        _sentinel = numBlocks;
        Reset();
    }

    public int NumBlocks { get; }

    public int BlockSize { get; }

    /// <summary>Blocks nobody references: never used, or cached and evictable.</summary>
    public int FreeCount { get; private set; }

    /// <summary>Blocks registered for prefix caching (in use or evictable).</summary>
    public int CachedCount => _byHash.Count;

    /// <summary>Cached blocks dropped from the cache to make room.</summary>
    public long Evictions { get; private set; }

    public int RefCount(int blockId) => _refCount[blockId];

    public bool IsCached(int blockId) => _isCached[blockId];

    /// <summary>The cached block holding exactly <paramref name="tokens"/> after the prefix that <paramref name="hash"/> chains from, or -1.</summary>
    public int Lookup(BlockHash hash, ReadOnlySpan<int> tokens)
    {
        if (!_byHash.TryGetValue(hash, out int blockId))
        {
            return None;
        }
        return _tokens.AsSpan(blockId * BlockSize, BlockSize).SequenceEqual(tokens) ? blockId : None;
    }

    /// <summary>Takes one more reference to a block, pulling it out of the free queue if it was evictable.</summary>
    public void Touch(int blockId)
    {
        if (_refCount[blockId] == 0)
        {
            Unlink(blockId);
        }
        _refCount[blockId]++;
    }

    /// <summary>Takes a free block (evicting its cached content if any) with one reference.</summary>
    /// <exception cref="InvalidOperationException">No block is free; callers check <see cref="FreeCount"/> first.</exception>
    public int Allocate()
    {
        int blockId = _next[_sentinel];
        if (blockId == _sentinel)
        {
            throw new InvalidOperationException("The KV block pool has no free block.");
        }
        Unlink(blockId);
        if (_isCached[blockId])
        {
            _byHash.Remove(_hash[blockId]);
            _isCached[blockId] = false;
            Evictions++;
        }
        _refCount[blockId] = 1;
        return blockId;
    }

    /// <summary>Drops one reference; at zero the block becomes free (evictable if cached).</summary>
    public void Release(int blockId)
    {
        if (_refCount[blockId] <= 0)
        {
            throw new InvalidOperationException($"KV block {blockId} released more times than it was taken.");
        }
        if (--_refCount[blockId] == 0)
        {
            if (_isCached[blockId])
            {
                LinkBefore(_sentinel, blockId); // tail: evicted last
            }
            else
            {
                LinkBefore(_next[_sentinel], blockId); // head: reused first
            }
        }
    }

    /// <summary>
    /// Registers a full, referenced block under its hash. When another block already holds the same content
    /// the first one stays the cache entry: block tables are append-only, so duplicates are not merged.
    /// </summary>
    public void Register(int blockId, BlockHash hash, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length != BlockSize)
        {
            throw new ArgumentException($"A cached block holds exactly {BlockSize} tokens.", nameof(tokens));
        }
        if (_isCached[blockId] || !_byHash.TryAdd(hash, blockId))
        {
            return;
        }
        _isCached[blockId] = true;
        _hash[blockId] = hash;
        tokens.CopyTo(_tokens.AsSpan(blockId * BlockSize, BlockSize));
    }

    /// <summary>Forgets every reference and cached entry: all blocks free in id order (the workers' KV is gone).</summary>
    public void Reset()
    {
        Array.Clear(_refCount);
        Array.Clear(_isCached);
        _byHash.Clear();
        _next[_sentinel] = _sentinel;
        _prev[_sentinel] = _sentinel;
        FreeCount = 0;
        for (int i = 0; i < NumBlocks; i++)
        {
            _inFreeQueue[i] = false;
            LinkBefore(_sentinel, i);
        }
    }

    private void LinkBefore(int anchor, int blockId)
    {
        int prev = _prev[anchor];
        _next[prev] = blockId;
        _prev[blockId] = prev;
        _next[blockId] = anchor;
        _prev[anchor] = blockId;
        _inFreeQueue[blockId] = true;
        FreeCount++;
    }

    private void Unlink(int blockId)
    {
        if (!_inFreeQueue[blockId])
        {
            throw new InvalidOperationException($"KV block {blockId} is not in the free queue.");
        }
        _next[_prev[blockId]] = _next[blockId];
        _prev[_next[blockId]] = _prev[blockId];
        _inFreeQueue[blockId] = false;
        FreeCount--;
    }
}
