using LlmServe.Inference.KvCache;

namespace LlmServe.Inference.Tests.KvCache;

public sealed class BlockAllocatorTests
{
    [Fact]
    public void Shared_blocks_return_to_the_free_list_after_the_last_reference()
    {
        var allocator = new BlockAllocator(2);
        Assert.True(allocator.TryAllocate(out int a));
        Assert.True(allocator.TryAllocate(out int b));
        Assert.NotEqual(a, b);
        Assert.False(allocator.TryAllocate(out _));
        allocator.Share(a);
        Assert.Equal(2, allocator.ReferenceCount(a));
        allocator.Free(a);
        Assert.Equal(0, allocator.FreeBlocks);
        allocator.Free(a);
        Assert.Equal(1, allocator.FreeBlocks);
        Assert.Throws<InvalidOperationException>(() => allocator.Free(a));
        Assert.True(allocator.TryAllocate(out int again));
        Assert.Equal(a, again);
    }
}
