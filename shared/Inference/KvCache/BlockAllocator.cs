namespace LlmServe.Inference.KvCache;

/// <summary>
/// A free list of KV block ids with reference counts, for offline generation (in the server the scheduler owns
/// allocation). Shared prefixes share block ids: <see cref="Share"/> bumps the count, <see cref="Free"/> drops it.
/// </summary>
public sealed class BlockAllocator
{
    private readonly Stack<int> _free;
    private readonly int[] _refCounts;

    public BlockAllocator(int numBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numBlocks, 1);
        NumBlocks = numBlocks;
        _refCounts = new int[numBlocks];
        _free = new Stack<int>(Enumerable.Range(0, numBlocks).Reverse());
    }

    public int NumBlocks { get; }

    public int FreeBlocks => _free.Count;

    /// <summary>Takes one free block (reference count 1); false when none is left.</summary>
    public bool TryAllocate(out int block)
    {
        if (_free.TryPop(out block))
        {
            _refCounts[block] = 1;
            return true;
        }

        block = -1;
        return false;
    }

    /// <summary>Adds a reference to an allocated block (a second sequence reads the same prefix).</summary>
    public void Share(int block)
    {
        if (_refCounts[block] <= 0)
        {
            throw new InvalidOperationException($"block {block} is not allocated");
        }

        _refCounts[block]++;
    }

    public int ReferenceCount(int block) => _refCounts[block];

    /// <summary>Drops one reference; the block returns to the free list at zero.</summary>
    public void Free(int block)
    {
        if (_refCounts[block] <= 0)
        {
            throw new InvalidOperationException($"block {block} freed twice");
        }

        if (--_refCounts[block] == 0)
        {
            _free.Push(block);
        }
    }
}
