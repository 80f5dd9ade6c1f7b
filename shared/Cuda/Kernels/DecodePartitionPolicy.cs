namespace LlmServe.Cuda.Kernels;

/// <summary>
/// How a decode attention launch cuts the contexts into partitions (one CTA per sequence, KV head and partition).
/// Small batches get short partitions, so every SM has work; large batches on the tensor-core kernel get few long
/// ones, so they skip the split-K partials (fp32, written and read again: ~7% of the K/V bytes at 128 keys a
/// partition) and the reduce kernel.
/// </summary>
public static class DecodePartitionPolicy
{
    /// <summary>Partition of a split context (and the most keys the CUDA-core kernel takes a CTA).</summary>
    public const int Partition = 128;

    /// <summary>Smallest partition a small decode batch is split into (a quarter of <see cref="Partition"/>).</summary>
    public const int MinPartition = 32;

    /// <summary>Longest partition of the tensor-core kernel (DTC_MAX_PART: its block-id staging holds this many keys at block size 16).</summary>
    public const int LongPartitionMax = 2048;

    /// <summary>Long partitions are whole tiles of the tensor-core kernel (DTC_TILE keys).</summary>
    public const int LongPartitionStep = 64;

    /// <summary>Smallest block size that long partitions allow (the kernel stages LongPartitionMax / 16 + 1 block ids).</summary>
    public const int LongPartitionMinBlockSize = 16;

    // A launch of at least this many (sequence, KV head) CTAs a multiprocessor is a large batch; it is given partitions
    // for about LargeBatchWaves waves of 3 resident CTAs (the kernel's occupancy at head size 128).
    private const int LargeBatchItemsPerSm = 3;
    private const int LargeBatchWaves = 4;

    /// <summary>Partition length in keys and partition count for contexts of up to <paramref name="splits"/> × <see cref="Partition"/> keys.</summary>
    /// <param name="sms">Multiprocessors of the device.</param>
    /// <param name="seqs">Sequences of the launch (its padded row count under a graph).</param>
    /// <param name="kvHeads">KV heads of the model.</param>
    /// <param name="splits">Full-size partitions the longest context needs (<c>KernelLibrary.DecodeSplits</c>).</param>
    /// <param name="longPartitions">Whether the launch's kernel takes partitions longer than <see cref="Partition"/>.</param>
    public static (int Partition, int Count) Choose(int sms, int seqs, int kvHeads, int splits, bool longPartitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sms, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(seqs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kvHeads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(splits, 1);
        long items = (long)seqs * kvHeads;
        if (longPartitions && items >= (long)LargeBatchItemsPerSm * sms)
        {
            long target = (long)LargeBatchItemsPerSm * LargeBatchWaves * sms;
            int count = (int)Math.Clamp((target + items - 1) / items, 1, splits);
            int covered = splits * Partition;
            int partition = RoundUp((covered + count - 1) / count, LongPartitionStep);
            partition = Math.Min(partition, LongPartitionMax);
            return (partition, (covered + partition - 1) / partition);
        }

        int shortPartition = Partition;
        while (shortPartition > MinPartition && items * splits * (Partition / shortPartition) < 2L * sms)
        {
            shortPartition /= 2;
        }

        return (shortPartition, splits * (Partition / shortPartition));
    }

    private static int RoundUp(int value, int step) => (value + step - 1) / step * step;
}
