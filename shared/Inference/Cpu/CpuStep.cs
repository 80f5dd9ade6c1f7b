using LlmServe.Inference.Backends;

namespace LlmServe.Inference.Cpu;

/// <summary>The CPU backend's copy of the current step's metadata (grown on demand, reused across steps).</summary>
internal sealed class CpuStep
{
    public int[] TokenIds { get; private set; } = [];

    public int[] Positions { get; private set; } = [];

    public int[] Slots { get; private set; } = [];

    /// <summary>Sequence index of each query row.</summary>
    public int[] RowSequence { get; private set; } = [];

    public int[] QueryStarts { get; private set; } = [];

    public int[] ContextLengths { get; private set; } = [];

    public int[] BlockTables { get; private set; } = [];

    public int[] LogitRows { get; private set; } = [];

    public int BlockTableStride { get; private set; }

    public int NumTokens { get; private set; }

    public int NumSeqs { get; private set; }

    public int NumLogitRows { get; private set; }

    public int MaxContextLength { get; private set; }

    public bool HasTokenIds { get; private set; }

    public void Load(in StepBatch batch)
    {
        NumTokens = batch.NumTokens;
        NumSeqs = batch.NumSeqs;
        NumLogitRows = batch.NumLogitRows;
        BlockTableStride = batch.BlockTableStride;
        MaxContextLength = batch.MaxContextLength;
        HasTokenIds = batch.TokenIds.Length == NumTokens;
        TokenIds = Fit(TokenIds, NumTokens);
        Positions = Fit(Positions, NumTokens);
        Slots = Fit(Slots, NumTokens);
        RowSequence = Fit(RowSequence, NumTokens);
        QueryStarts = Fit(QueryStarts, NumSeqs + 1);
        ContextLengths = Fit(ContextLengths, NumSeqs);
        BlockTables = Fit(BlockTables, NumSeqs * BlockTableStride);
        LogitRows = Fit(LogitRows, NumLogitRows);
        if (HasTokenIds)
        {
            batch.TokenIds.CopyTo(TokenIds);
        }

        batch.Positions.CopyTo(Positions);
        batch.SlotMapping.CopyTo(Slots);
        batch.QueryStarts.CopyTo(QueryStarts);
        batch.ContextLengths.CopyTo(ContextLengths);
        batch.BlockTables[..(NumSeqs * BlockTableStride)].CopyTo(BlockTables);
        batch.LogitRows.CopyTo(LogitRows);
        for (int s = 0; s < NumSeqs; s++)
        {
            RowSequence.AsSpan(QueryStarts[s], QueryStarts[s + 1] - QueryStarts[s]).Fill(s);
        }
    }

    private static int[] Fit(int[] array, int length) => array.Length >= length ? array : new int[Math.Max(length, array.Length * 2)];
}
