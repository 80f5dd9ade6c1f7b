using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Tests.Backends;

public sealed class StepBatchTests
{
    private static readonly KvCacheSpec Cache = new(NumLayers: 1, NumBlocks: 8, BlockSize: 4, NumKvHeads: 1, HeadDim: 2);

    [Fact]
    public void Builder_flattens_sequences_into_slots_query_starts_and_logit_rows()
    {
        var builder = new StepBatchBuilder(maxTokens: 16, maxSeqs: 4, maxBlocksPerSeq: 3, blockSize: 4);
        Assert.Equal(-1, builder.AddSequence([10, 11, 12, 13, 14], 0, [6, 2], wantLogits: false));
        Assert.Equal(0, builder.AddSequence([20], 6, [5, 1], wantLogits: true));
        var batch = builder.Build();
        batch.Validate(Cache, needsTokenIds: true);
        Assert.Equal([10, 11, 12, 13, 14, 20], batch.TokenIds.ToArray());
        Assert.Equal([0, 1, 2, 3, 4, 6], batch.Positions.ToArray());
        Assert.Equal([24, 25, 26, 27, 8, 6], batch.SlotMapping.ToArray()); // block 6 then block 2; seq 2: pos 6 → block 1 offset 2
        Assert.Equal([0, 5, 6], batch.QueryStarts.ToArray());
        Assert.Equal([5, 7], batch.ContextLengths.ToArray());
        Assert.Equal([5], batch.LogitRows.ToArray());
        Assert.Equal(5, batch.MaxQueryLength);
        Assert.Equal(7, batch.MaxContextLength);
        Assert.Equal([5, 1], batch.BlockTable(1)[..2].ToArray());
    }

    [Fact]
    public void Builder_rejects_overflow_and_short_block_tables()
    {
        var builder = new StepBatchBuilder(maxTokens: 4, maxSeqs: 1, maxBlocksPerSeq: 2, blockSize: 4);
        Assert.Throws<ArgumentException>(() => builder.AddSequence([1, 2, 3], 4, [0], wantLogits: true));
        Assert.Throws<InvalidOperationException>(() => builder.AddSequence([1, 2, 3, 4, 5], 0, [0, 1], wantLogits: true));
        builder.AddSequence([1], 0, [0], wantLogits: true);
        Assert.Throws<InvalidOperationException>(() => builder.AddSequence([1], 0, [1], wantLogits: true));
    }

    [Fact]
    public void Validate_names_out_of_range_blocks_and_slots()
    {
        var e = Assert.Throws<InvalidStepBatchException>(() =>
            new StepBatch([1], [0], [0], [0, 1], [1], [9], 1, [0]).Validate(Cache, needsTokenIds: true));
        Assert.Contains("block id 9", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidStepBatchException>(() =>
            new StepBatch([1], [0], [32], [0, 1], [1], [0], 1, [0]).Validate(Cache, needsTokenIds: true));
        Assert.Contains("slot 32", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidStepBatchException>(() =>
            new StepBatch([1, 2], [0, 1], [0, 1], [0, 2], [1], [0], 1, [1]).Validate(Cache, needsTokenIds: true));
        Assert.Contains("context length 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidStepBatchException>(() =>
            new StepBatch([1], [0], [0], [0, 1], [1], [0], 1, [3]).Validate(Cache, needsTokenIds: true));
        Assert.Contains("logit row 3", e.Message, StringComparison.Ordinal);
    }
}
