using LlmServe.Scheduler.KvCache;

namespace LlmServe.Scheduler.Tests.KvCache;

public sealed class KvCacheManagerTests
{
    private static int[] Seq(int length, int offset = 0) => Enumerable.Range(offset + 1, length).ToArray();

    [Fact]
    public void Allocates_just_enough_blocks_and_grows_one_at_a_block_boundary()
    {
        var kv = new KvCacheManager(10, 16, enablePrefixCaching: false, watermarkBlocks: 0);
        var s = new KvSequence();
        int[] tokens = Seq(40);
        Assert.True(kv.TryAllocateSlots(s, tokens, 0, 40, applyWatermark: false));
        Assert.Equal(3, s.BlockCount);
        Assert.Equal(7, kv.FreeBlocks);

        int[] longer = Seq(48);
        Assert.True(kv.TryAllocateSlots(s, longer, 40, 8, applyWatermark: false));
        Assert.Equal(3, s.BlockCount);
        int[] longest = Seq(49);
        Assert.True(kv.TryAllocateSlots(s, longest, 48, 1, applyWatermark: false));
        Assert.Equal(4, s.BlockCount);

        kv.Free(s);
        Assert.Equal(10, kv.FreeBlocks);
        Assert.Equal(0, s.BlockCount);
    }

    [Fact]
    public void Refuses_all_or_nothing_when_blocks_run_out()
    {
        var kv = new KvCacheManager(2, 16, enablePrefixCaching: false, watermarkBlocks: 0);
        var s = new KvSequence();
        Assert.False(kv.TryAllocateSlots(s, Seq(40), 0, 40, applyWatermark: false));
        Assert.Equal(0, s.BlockCount);
        Assert.Equal(2, kv.FreeBlocks);
    }

    [Fact]
    public void Watermark_holds_back_admissions_but_not_growth()
    {
        var kv = new KvCacheManager(4, 16, enablePrefixCaching: false, watermarkBlocks: 1);
        var a = new KvSequence();
        Assert.True(kv.TryAllocateSlots(a, Seq(48), 0, 48, applyWatermark: true)); // 3 blocks, 1 left
        var b = new KvSequence();
        Assert.False(kv.TryAllocateSlots(b, Seq(10), 0, 10, applyWatermark: true));
        Assert.True(kv.TryAllocateSlots(a, Seq(49), 48, 1, applyWatermark: false));
        Assert.Equal(0, kv.FreeBlocks);
    }

    [Fact]
    public void A_second_sequence_with_the_same_prompt_hits_the_cached_full_blocks()
    {
        var kv = new KvCacheManager(10, 16, enablePrefixCaching: true, watermarkBlocks: 0);
        int[] prompt = Seq(40);
        var a = new KvSequence();
        Assert.Equal(0, kv.FindCachedPrefix(a, prompt));
        Assert.True(kv.TryAllocateSlots(a, prompt, 0, 40, applyWatermark: true));

        var b = new KvSequence();
        Assert.Equal(32, kv.FindCachedPrefix(b, prompt));
        Assert.True(kv.TryAllocateSlots(b, prompt, 32, 8, applyWatermark: true));
        Assert.Equal(a.BlockTable[..2].ToArray(), b.BlockTable[..2].ToArray());
        Assert.NotEqual(a.BlockTable[2], b.BlockTable[2]);
        Assert.Equal(2, kv.Pool.RefCount(a.BlockTable[0]));
        Assert.Equal(80, kv.PrefixQueryTokens);
        Assert.Equal(32, kv.PrefixHitTokens);
    }

    [Fact]
    public void Freed_cached_blocks_are_reused_on_a_hit()
    {
        var kv = new KvCacheManager(4, 16, enablePrefixCaching: true, watermarkBlocks: 0);
        int[] prompt = Seq(33);
        var a = new KvSequence();
        kv.FindCachedPrefix(a, prompt);
        Assert.True(kv.TryAllocateSlots(a, prompt, 0, 33, applyWatermark: false));
        int[] table = a.BlockTable.ToArray();
        kv.Free(a);
        Assert.Equal(4, kv.FreeBlocks);

        var b = new KvSequence();
        Assert.Equal(32, kv.FindCachedPrefix(b, prompt));
        Assert.True(kv.TryAllocateSlots(b, prompt, 32, 1, applyWatermark: false));
        Assert.Equal(table[..2], b.BlockTable[..2].ToArray());
        Assert.Equal(1, kv.FreeBlocks);
    }

    [Fact]
    public void A_fully_cached_prompt_still_leaves_one_token_to_compute()
    {
        var kv = new KvCacheManager(4, 16, enablePrefixCaching: true, watermarkBlocks: 0);
        int[] prompt = Seq(32);
        var a = new KvSequence();
        kv.FindCachedPrefix(a, prompt);
        Assert.True(kv.TryAllocateSlots(a, prompt, 0, 32, applyWatermark: false));
        var b = new KvSequence();
        Assert.Equal(16, kv.FindCachedPrefix(b, prompt));
    }

    [Fact]
    public void Same_block_after_a_different_prefix_is_a_miss()
    {
        var kv = new KvCacheManager(8, 4, enablePrefixCaching: true, watermarkBlocks: 0);
        int[] first = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        int[] second = [9, 9, 9, 9, 5, 6, 7, 8, 9];
        var a = new KvSequence();
        kv.FindCachedPrefix(a, first);
        Assert.True(kv.TryAllocateSlots(a, first, 0, 9, applyWatermark: false));
        var b = new KvSequence();
        Assert.Equal(0, kv.FindCachedPrefix(b, second));
    }

    [Fact]
    public void Without_prefix_caching_nothing_is_shared()
    {
        var kv = new KvCacheManager(8, 4, enablePrefixCaching: false, watermarkBlocks: 0);
        int[] prompt = Seq(9);
        var a = new KvSequence();
        kv.FindCachedPrefix(a, prompt);
        Assert.True(kv.TryAllocateSlots(a, prompt, 0, 9, applyWatermark: false));
        var b = new KvSequence();
        Assert.Equal(0, kv.FindCachedPrefix(b, prompt));
        Assert.Equal(0, kv.Pool.CachedCount);
    }

    [Fact]
    public void Eviction_makes_room_and_drops_the_oldest_cached_prefix()
    {
        var kv = new KvCacheManager(4, 4, enablePrefixCaching: true, watermarkBlocks: 0);
        int[] older = Seq(9, 100);
        int[] newer = Seq(9, 200);
        foreach (int[] prompt in new[] { older, newer })
        {
            var s = new KvSequence();
            kv.FindCachedPrefix(s, prompt);
            Assert.True(kv.TryAllocateSlots(s, prompt, 0, 8, applyWatermark: false));
            kv.Free(s);
        }
        // 4 cached blocks, all evictable; a new 2-block sequence evicts the older prefix.
        var fresh = new KvSequence();
        Assert.True(kv.TryAllocateSlots(fresh, Seq(8, 300), 0, 8, applyWatermark: false));
        Assert.Equal(2, kv.Pool.Evictions);
        Assert.Equal(0, kv.FindCachedPrefix(new KvSequence(), older));
        Assert.Equal(8, kv.FindCachedPrefix(new KvSequence(), newer));
    }

    [Fact]
    public void An_evictable_hit_counts_against_free_blocks()
    {
        var kv = new KvCacheManager(3, 4, enablePrefixCaching: true, watermarkBlocks: 0);
        int[] prompt = Seq(9);
        var a = new KvSequence();
        kv.FindCachedPrefix(a, prompt);
        Assert.True(kv.TryAllocateSlots(a, prompt, 0, 9, applyWatermark: false));
        kv.Free(a);

        // Hits 2 evictable blocks and needs 2 more: only 1 left after taking the hits.
        int[] longer = [.. prompt[..8], 50, 51, 52, 53, 54];
        var b = new KvSequence();
        Assert.Equal(8, kv.FindCachedPrefix(b, longer));
        Assert.False(kv.TryAllocateSlots(b, longer, 8, 5, applyWatermark: false));
        Assert.Equal(3, kv.FreeBlocks);
        Assert.Equal(8, kv.FindCachedPrefix(b, longer));
        Assert.True(kv.TryAllocateSlots(b, longer, 8, 4, applyWatermark: false));
    }

    [Fact]
    public void Fork_shares_full_blocks_only_and_counts_references()
    {
        var kv = new KvCacheManager(10, 16, enablePrefixCaching: false, watermarkBlocks: 0);
        int[] prompt = Seq(40);
        var parent = new KvSequence();
        Assert.True(kv.TryAllocateSlots(parent, prompt, 0, 40, applyWatermark: false));
        var child = new KvSequence();
        Assert.Equal(32, kv.Fork(parent, child, 39));
        Assert.Equal(parent.BlockTable[..2].ToArray(), child.BlockTable.ToArray());
        Assert.Equal(2, kv.Pool.RefCount(parent.BlockTable[0]));
        Assert.True(kv.TryAllocateSlots(child, prompt, 32, 8, applyWatermark: false));
        Assert.Equal(3, child.BlockCount);

        kv.Free(parent);
        Assert.Equal(1, kv.Pool.RefCount(child.BlockTable[0]));
        kv.Free(child);
        Assert.Equal(10, kv.FreeBlocks);
    }

    [Fact]
    public void Usage_is_the_referenced_fraction()
    {
        var kv = new KvCacheManager(4, 4, enablePrefixCaching: true, watermarkBlocks: 0);
        var s = new KvSequence();
        Assert.True(kv.TryAllocateSlots(s, Seq(8), 0, 8, applyWatermark: false));
        Assert.Equal(0.5, kv.Usage, 3);
        kv.Free(s);
        Assert.Equal(0.0, kv.Usage, 3);
    }
}
