namespace LlmServe.Inference.Backends;

/// <summary>
/// Fills a reusable <see cref="StepBatch"/> one sequence at a time from (new tokens, start position, block
/// table); preallocated for a maximum shape so building a step allocates nothing.
/// </summary>
public sealed class StepBatchBuilder
{
    private readonly int[] _tokenIds;
    private readonly int[] _positions;
    private readonly int[] _slots;
    private readonly int[] _queryStarts;
    private readonly int[] _contextLengths;
    private readonly int[] _blockTables;
    private readonly int[] _logitRows;
    private int _numTokens;
    private int _numSeqs;
    private int _numLogitRows;

    public StepBatchBuilder(int maxTokens, int maxSeqs, int maxBlocksPerSeq, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSeqs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocksPerSeq, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        MaxTokens = maxTokens;
        MaxSeqs = maxSeqs;
        MaxBlocksPerSeq = maxBlocksPerSeq;
        BlockSize = blockSize;
        _tokenIds = new int[maxTokens];
        _positions = new int[maxTokens];
        _slots = new int[maxTokens];
        _queryStarts = new int[maxSeqs + 1];
        _contextLengths = new int[maxSeqs];
        _blockTables = new int[maxSeqs * maxBlocksPerSeq];
        _logitRows = new int[maxSeqs];
    }

    public int MaxTokens { get; }

    public int MaxSeqs { get; }

    public int MaxBlocksPerSeq { get; }

    public int BlockSize { get; }

    public int NumTokens => _numTokens;

    public int NumSeqs => _numSeqs;

    public void Clear()
    {
        _numTokens = 0;
        _numSeqs = 0;
        _numLogitRows = 0;
    }

    /// <summary>
    /// Adds a sequence whose <paramref name="tokens"/> sit at positions startPosition.. (everything before is
    /// already in the cache under <paramref name="blockTable"/>). Returns the sequence's logits row index in
    /// this step (its last token) when <paramref name="wantLogits"/>, else -1.
    /// </summary>
    public int AddSequence(ReadOnlySpan<int> tokens, int startPosition, ReadOnlySpan<int> blockTable, bool wantLogits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startPosition);
        if (tokens.IsEmpty)
        {
            throw new ArgumentException("a sequence must contribute at least one token", nameof(tokens));
        }

        if (_numSeqs == MaxSeqs || _numTokens + tokens.Length > MaxTokens)
        {
            throw new InvalidOperationException($"step is full: {_numSeqs}/{MaxSeqs} sequences, {_numTokens}+{tokens.Length}/{MaxTokens} tokens");
        }

        int context = startPosition + tokens.Length;
        int blocksNeeded = (context + BlockSize - 1) / BlockSize;
        if (blockTable.Length < blocksNeeded || blockTable.Length > MaxBlocksPerSeq)
        {
            throw new ArgumentException($"context {context} needs {blocksNeeded} blocks; table has {blockTable.Length} (max {MaxBlocksPerSeq})", nameof(blockTable));
        }

        int seq = _numSeqs;
        if (seq == 0)
        {
            _queryStarts[0] = 0;
        }

        for (int i = 0; i < tokens.Length; i++)
        {
            int pos = startPosition + i;
            int row = _numTokens + i;
            _tokenIds[row] = tokens[i];
            _positions[row] = pos;
            _slots[row] = (blockTable[pos / BlockSize] * BlockSize) + (pos % BlockSize);
        }

        blockTable.CopyTo(_blockTables.AsSpan(seq * MaxBlocksPerSeq, MaxBlocksPerSeq));
        _numTokens += tokens.Length;
        _queryStarts[seq + 1] = _numTokens;
        _contextLengths[seq] = context;
        _numSeqs++;
        if (!wantLogits)
        {
            return -1;
        }

        _logitRows[_numLogitRows] = _numTokens - 1;
        return _numLogitRows++;
    }

    /// <summary>The step built so far; valid until the next <see cref="Clear"/> or <see cref="AddSequence"/>.</summary>
    public StepBatch Build() => new(
        _tokenIds.AsSpan(0, _numTokens),
        _positions.AsSpan(0, _numTokens),
        _slots.AsSpan(0, _numTokens),
        _queryStarts.AsSpan(0, _numSeqs + 1),
        _contextLengths.AsSpan(0, _numSeqs),
        _blockTables.AsSpan(0, _numSeqs * MaxBlocksPerSeq),
        MaxBlocksPerSeq,
        _logitRows.AsSpan(0, _numLogitRows));
}
