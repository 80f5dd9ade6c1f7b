using LlmServe.Cuda.Backend;
using LlmServe.Cuda.Kernels;
using LlmServe.Inference.Backends;

namespace LlmServe.Cuda.Tests.Backend;

public class KvCachePlannerTests
{
    [Fact]
    public void A_block_of_an_8B_llama_takes_2_MiB_over_all_layers() =>
        Assert.Equal(2L << 20, KvCachePlanner.BytesPerBlock(layers: 32, blockSize: 16, kvHeads: 8, headDim: 128));

    [Fact]
    public void Blocks_fill_the_fraction_left_after_what_is_already_used()
    {
        long gib = 1L << 30;
        // 80 GiB card, 16 GiB in use (weights), 90%: 72 - 16 - 0.5 reserve = 55.5 GiB of 2 MiB blocks.
        int blocks = KvCachePlanner.Blocks(80 * gib, 64 * gib, 0.9, 2L << 20);

        Assert.Equal((int)(((long)(80 * gib * 0.9) - (16 * gib) - KvCachePlanner.DefaultReserveBytes) / (2L << 20)), blocks);
    }

    [Fact]
    public void No_room_gives_zero_blocks_not_a_negative_count() =>
        Assert.Equal(0, KvCachePlanner.Blocks(10, 1, 0.5, 1, reserveBytes: 0));

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    public void The_fraction_must_be_in_range(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KvCachePlanner.Blocks(100, 100, fraction, 1));

    [Fact]
    public void Describes_the_cache_like_vllm()
    {
        var text = KvCachePlanner.Describe(new KvCacheSpec(32, 1000, 16, 8, 128), 8000);

        Assert.Equal("KV cache: 1000 blocks = 16000 tokens, max concurrency at max_model_len 8000: 2.00x", text);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(128, 1)]
    [InlineData(129, 2)]
    [InlineData(8192, 64)]
    public void Decode_splits_follow_the_partition_size(int context, int splits) =>
        Assert.Equal(splits, KernelLibrary.DecodeSplits(context));

    [Fact]
    public void Unsupported_head_layouts_are_refused_before_any_launch()
    {
        KernelLibrary.CheckAttentionShape(32, 8, 128);
        Assert.Throws<NotSupportedException>(() => KernelLibrary.CheckAttentionShape(32, 8, 96));
        Assert.Throws<NotSupportedException>(() => KernelLibrary.CheckAttentionShape(30, 8, 128));
        Assert.Throws<NotSupportedException>(() => KernelLibrary.CheckAttentionShape(64, 2, 128));
    }
}
