namespace LlmServe.Inference.Backends;

/// <summary>
/// Everything one forward step needs, flattened like vLLM's attention metadata, so a backend can copy it into
/// preallocated buffers and every kernel shape is known from these counts (CUDA graphs replay per bucket).
/// A step is a MIXED batch: sequence <c>s</c> contributes query tokens
/// [QueryStarts[s], QueryStarts[s+1]) that are the LAST tokens of its context of ContextLengths[s] tokens
/// (a prefill chunk after a cached prefix, a whole prompt, or one decode token).
/// Spans are borrowed: a backend copies what it needs in <see cref="IBackend.PrepareStep"/>.
/// </summary>
public readonly ref struct StepBatch
{
    public StepBatch(
        ReadOnlySpan<int> tokenIds,
        ReadOnlySpan<int> positions,
        ReadOnlySpan<int> slotMapping,
        ReadOnlySpan<int> queryStarts,
        ReadOnlySpan<int> contextLengths,
        ReadOnlySpan<int> blockTables,
        int blockTableStride,
        ReadOnlySpan<int> logitRows)
    {
        TokenIds = tokenIds;
        Positions = positions;
        SlotMapping = slotMapping;
        QueryStarts = queryStarts;
        ContextLengths = contextLengths;
        BlockTables = blockTables;
        BlockTableStride = blockTableStride;
        LogitRows = logitRows;
    }

    /// <summary>Token id per query row [NumTokens] (only read by the first pipeline stage).</summary>
    public ReadOnlySpan<int> TokenIds { get; }

    /// <summary>Absolute position per query row [NumTokens] (RoPE angle).</summary>
    public ReadOnlySpan<int> Positions { get; }

    /// <summary>KV slot per query row [NumTokens] (= block id × block size + offset); -1 skips the write (padding).</summary>
    public ReadOnlySpan<int> SlotMapping { get; }

    /// <summary>Cumulative query offsets [NumSeqs + 1]; QueryStarts[0] = 0, QueryStarts[NumSeqs] = NumTokens.</summary>
    public ReadOnlySpan<int> QueryStarts { get; }

    /// <summary>Tokens in each sequence's KV after this step (cached prefix + this step's tokens) [NumSeqs].</summary>
    public ReadOnlySpan<int> ContextLengths { get; }

    /// <summary>Block tables, row-major [NumSeqs × BlockTableStride]; unused entries are ignored.</summary>
    public ReadOnlySpan<int> BlockTables { get; }

    public int BlockTableStride { get; }

    /// <summary>Query rows whose hidden states go through the final norm and lm-head, in output order [NumLogitRows].</summary>
    public ReadOnlySpan<int> LogitRows { get; }

    public int NumTokens => Positions.Length;

    public int NumSeqs => ContextLengths.Length;

    public int NumLogitRows => LogitRows.Length;

    /// <summary>Longest query of any sequence in this step.</summary>
    public int MaxQueryLength
    {
        get
        {
            int max = 0;
            for (int s = 0; s < NumSeqs; s++)
            {
                max = Math.Max(max, QueryStarts[s + 1] - QueryStarts[s]);
            }

            return max;
        }
    }

    /// <summary>Longest context of any sequence in this step.</summary>
    public int MaxContextLength
    {
        get
        {
            int max = 0;
            foreach (int c in ContextLengths)
            {
                max = Math.Max(max, c);
            }

            return max;
        }
    }

    /// <summary>Block table row of sequence <paramref name="seq"/>.</summary>
    public ReadOnlySpan<int> BlockTable(int seq) => BlockTables.Slice(seq * BlockTableStride, BlockTableStride);

    /// <summary>
    /// Checks internal consistency and that every slot and block lies inside <paramref name="cache"/>;
    /// throws <see cref="InvalidStepBatchException"/> naming the first problem. O(tokens + seqs).
    /// </summary>
    public void Validate(KvCacheSpec cache, bool needsTokenIds)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int n = NumTokens;
        if (needsTokenIds && TokenIds.Length != n)
        {
            throw new InvalidStepBatchException($"token ids: {TokenIds.Length} for {n} positions");
        }

        if (SlotMapping.Length != n)
        {
            throw new InvalidStepBatchException($"slot mapping: {SlotMapping.Length} for {n} tokens");
        }

        if (QueryStarts.Length != NumSeqs + 1 || QueryStarts[0] != 0 || QueryStarts[NumSeqs] != n)
        {
            throw new InvalidStepBatchException($"query starts must have {NumSeqs + 1} entries from 0 to {n}");
        }

        if (BlockTableStride < 1 || BlockTables.Length < NumSeqs * BlockTableStride)
        {
            throw new InvalidStepBatchException($"block tables: {BlockTables.Length} entries for {NumSeqs} sequences of stride {BlockTableStride}");
        }

        for (int s = 0; s < NumSeqs; s++)
        {
            int qLen = QueryStarts[s + 1] - QueryStarts[s];
            int ctx = ContextLengths[s];
            if (qLen < 0 || ctx < qLen)
            {
                throw new InvalidStepBatchException($"sequence {s}: {qLen} query tokens but context length {ctx}");
            }

            int blocksNeeded = (ctx + cache.BlockSize - 1) / cache.BlockSize;
            if (blocksNeeded > BlockTableStride)
            {
                throw new InvalidStepBatchException($"sequence {s}: context {ctx} needs {blocksNeeded} blocks, table holds {BlockTableStride}");
            }

            var table = BlockTable(s);
            for (int b = 0; b < blocksNeeded; b++)
            {
                if ((uint)table[b] >= (uint)cache.NumBlocks)
                {
                    throw new InvalidStepBatchException($"sequence {s}: block id {table[b]} outside the cache's {cache.NumBlocks} blocks");
                }
            }
        }

        for (int t = 0; t < n; t++)
        {
            if (SlotMapping[t] >= cache.NumSlots || SlotMapping[t] < -1)
            {
                throw new InvalidStepBatchException($"token {t}: slot {SlotMapping[t]} outside the cache's {cache.NumSlots} slots");
            }

            if (Positions[t] < 0)
            {
                throw new InvalidStepBatchException($"token {t}: negative position {Positions[t]}");
            }
        }

        foreach (int row in LogitRows)
        {
            if ((uint)row >= (uint)n)
            {
                throw new InvalidStepBatchException($"logit row {row} outside the step's {n} tokens");
            }
        }
    }
}
