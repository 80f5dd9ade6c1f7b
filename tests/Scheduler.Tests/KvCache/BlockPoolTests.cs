using LlmServe.Scheduler.KvCache;

namespace LlmServe.Scheduler.Tests.KvCache;

public sealed class BlockPoolTests
{
    private static int[] Tokens(int seed) => Enumerable.Range(seed * 100, 4).ToArray();

    [Fact]
    public void Allocates_every_block_once_then_refuses()
    {
        var pool = new BlockPool(4, 4);
        var ids = Enumerable.Range(0, 4).Select(_ => pool.Allocate()).ToList();
        Assert.Equal([0, 1, 2, 3], ids.Order());
        Assert.Equal(0, pool.FreeCount);
        Assert.Throws<InvalidOperationException>(() => pool.Allocate());
    }

    [Fact]
    public void Releasing_more_than_taken_throws()
    {
        var pool = new BlockPool(2, 4);
        int id = pool.Allocate();
        pool.Release(id);
        Assert.Throws<InvalidOperationException>(() => pool.Release(id));
    }

    [Fact]
    public void Uncached_free_blocks_are_reused_before_cached_ones()
    {
        var pool = new BlockPool(3, 4);
        int a = pool.Allocate();
        int b = pool.Allocate();
        int c = pool.Allocate();
        pool.Register(a, BlockHash.Compute(BlockHash.Root, Tokens(1)), Tokens(1));
        pool.Release(a);
        pool.Release(b);
        pool.Release(c);
        Assert.Equal(3, pool.FreeCount);

        // b and c have no content worth keeping; a does.
        int first = pool.Allocate();
        int second = pool.Allocate();
        Assert.Equal([b, c], new[] { first, second }.Order());
        Assert.Equal(a, pool.Lookup(BlockHash.Compute(BlockHash.Root, Tokens(1)), Tokens(1)));
        Assert.Equal(0, pool.Evictions);
    }

    [Fact]
    public void Cached_blocks_are_evicted_least_recently_freed_first()
    {
        var pool = new BlockPool(3, 4);
        var hashes = new BlockHash[3];
        for (int i = 0; i < 3; i++)
        {
            int id = pool.Allocate();
            hashes[i] = BlockHash.Compute(BlockHash.Root, Tokens(i));
            pool.Register(id, hashes[i], Tokens(i));
        }
        pool.Release(1);
        pool.Release(0);
        pool.Release(2);

        Assert.Equal(1, pool.Allocate()); // freed first, evicted first
        Assert.Equal(-1, pool.Lookup(hashes[1], Tokens(1)));
        Assert.Equal(0, pool.Lookup(hashes[0], Tokens(0)));
        Assert.Equal(1, pool.Evictions);
        Assert.Equal(2, pool.CachedCount);
    }

    [Fact]
    public void Touching_an_evictable_block_takes_it_out_of_the_free_queue()
    {
        var pool = new BlockPool(2, 4);
        int id = pool.Allocate();
        BlockHash hash = BlockHash.Compute(BlockHash.Root, Tokens(7));
        pool.Register(id, hash, Tokens(7));
        pool.Release(id);
        Assert.Equal(2, pool.FreeCount);

        pool.Touch(id);
        Assert.Equal(1, pool.FreeCount);
        Assert.Equal(1, pool.RefCount(id));
        Assert.NotEqual(id, pool.Allocate());
        Assert.Throws<InvalidOperationException>(() => pool.Allocate());
    }

    [Fact]
    public void Lookup_compares_tokens_not_only_the_hash()
    {
        var pool = new BlockPool(2, 4);
        int id = pool.Allocate();
        BlockHash hash = BlockHash.Compute(BlockHash.Root, Tokens(1));
        pool.Register(id, hash, Tokens(1));
        Assert.Equal(id, pool.Lookup(hash, Tokens(1)));
        Assert.Equal(-1, pool.Lookup(hash, Tokens(2)));
    }

    [Fact]
    public void A_second_block_with_the_same_content_does_not_replace_the_cache_entry()
    {
        var pool = new BlockPool(2, 4);
        int a = pool.Allocate();
        int b = pool.Allocate();
        BlockHash hash = BlockHash.Compute(BlockHash.Root, Tokens(1));
        pool.Register(a, hash, Tokens(1));
        pool.Register(b, hash, Tokens(1));
        Assert.True(pool.IsCached(a));
        Assert.False(pool.IsCached(b));
        Assert.Equal(a, pool.Lookup(hash, Tokens(1)));
    }

    [Fact]
    public void Reset_frees_everything_and_forgets_the_cache()
    {
        var pool = new BlockPool(2, 4);
        int a = pool.Allocate();
        BlockHash hash = BlockHash.Compute(BlockHash.Root, Tokens(1));
        pool.Register(a, hash, Tokens(1));
        pool.Reset();
        Assert.Equal(2, pool.FreeCount);
        Assert.Equal(0, pool.RefCount(a));
        Assert.Equal(-1, pool.Lookup(hash, Tokens(1)));
    }

    [Fact]
    public void Block_hash_chains_the_parent()
    {
        int[] tokens = Tokens(3);
        BlockHash parentA = BlockHash.Compute(BlockHash.Root, Tokens(1));
        BlockHash parentB = BlockHash.Compute(BlockHash.Root, Tokens(2));
        Assert.Equal(BlockHash.Compute(parentA, tokens), BlockHash.Compute(parentA, tokens));
        Assert.NotEqual(BlockHash.Compute(parentA, tokens), BlockHash.Compute(parentB, tokens));
    }
}
