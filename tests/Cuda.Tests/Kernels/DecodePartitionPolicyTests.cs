using LlmServe.Cuda.Kernels;
using Xunit;

namespace LlmServe.Cuda.Tests.Kernels;

public sealed class DecodePartitionPolicyTests
{
    private const int H200Sms = 132;

    [Theory]
    [InlineData(1, 4, 32, 16)]    // one stream at 512 keys: 32-key partitions so 128 CTAs share the card
    [InlineData(8, 4, 64, 8)]
    [InlineData(64, 4, 128, 4)]   // the CUDA-core kernel's partitions at any batch
    [InlineData(256, 9, 128, 9)]
    public void Short_partitions_without_the_long_partition_kernel(int seqs, int splits, int partition, int count)
    {
        Assert.Equal((partition, count), DecodePartitionPolicy.Choose(H200Sms, seqs, 8, splits, longPartitions: false));
    }

    [Theory]
    [InlineData(1, 4, 32, 16)]     // small batches as before: the long partitions are for large ones only
    [InlineData(48, 4, 128, 4)]    // 384 CTAs: under 3 an SM, the short-partition rule
    [InlineData(64, 4, 128, 4)]    // 512 CTAs: four 128-key partitions keep ~4 waves
    [InlineData(128, 4, 256, 2)]
    [InlineData(256, 4, 512, 1)]   // batch 256 at 512 keys: one partition, no partials, no reduce kernel
    [InlineData(228, 9, 1152, 1)]  // the serving benchmark's mixed steps (~1,100 keys)
    [InlineData(256, 32, 2048, 2)] // 4,096 keys: capped at the kernel's longest partition
    public void Large_batches_get_few_long_partitions(int seqs, int splits, int partition, int count)
    {
        Assert.Equal((partition, count), DecodePartitionPolicy.Choose(H200Sms, seqs, 8, splits, longPartitions: true));
    }

    [Fact]
    public void Every_choice_covers_the_contexts_within_the_kernels_limits()
    {
        foreach (int sms in new[] { 1, 78, 132 })
        {
            foreach (int seqs in new[] { 1, 2, 7, 33, 64, 100, 255, 256, 1024 })
            {
                foreach (int kvHeads in new[] { 1, 2, 8 })
                {
                    for (int splits = 1; splits <= 64; splits += 3)
                    {
                        foreach (bool longPartitions in new[] { false, true })
                        {
                            var (partition, count) = DecodePartitionPolicy.Choose(sms, seqs, kvHeads, splits, longPartitions);
                            string at = $"sms {sms} seqs {seqs} kv {kvHeads} splits {splits} long {longPartitions}: {partition} x {count}";
                            Assert.True((long)partition * count >= (long)splits * DecodePartitionPolicy.Partition, at);
                            Assert.True(partition >= DecodePartitionPolicy.MinPartition, at);
                            if (partition > DecodePartitionPolicy.Partition)
                            {
                                Assert.True(longPartitions, at);
                                Assert.True(partition <= DecodePartitionPolicy.LongPartitionMax, at);
                                Assert.Equal(0, partition % DecodePartitionPolicy.LongPartitionStep);
                                Assert.True((long)partition * (count - 1) < (long)splits * DecodePartitionPolicy.Partition, $"{at}: an empty partition");
                            }
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void Refuses_empty_launches()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DecodePartitionPolicy.Choose(132, 0, 8, 1, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => DecodePartitionPolicy.Choose(132, 1, 8, 0, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => DecodePartitionPolicy.Choose(0, 1, 8, 1, true));
    }
}
