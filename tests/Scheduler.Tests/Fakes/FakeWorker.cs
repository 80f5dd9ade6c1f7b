using LlmServe.Contracts;

namespace LlmServe.Scheduler.Tests.Fakes;

/// <summary>
/// A deterministic stand-in for the model and its paged KV cache. Fed tokens are written into the physical
/// slots the block tables name; the next token is a hash of the tokens read back through the block table.
/// So a wrong block table, a block freed too early or a bad prefix hit changes the output, and a write into a block
/// another live sequence holds throws.
/// </summary>
internal sealed class FakeWorker
{
    private readonly int _blockSize;
    private readonly int[] _slots;
    private readonly Dictionary<ulong, List<int>> _tables = [];
    private readonly Dictionary<ulong, int> _lastSampled = [];
    private readonly int _vocab;

    public FakeWorker(int numBlocks, int blockSize, int vocab = 1000)
    {
        _blockSize = blockSize;
        _slots = new int[numBlocks * blockSize];
        Array.Fill(_slots, -1);
        _vocab = vocab;
    }

    /// <summary>Tokens ids the model never samples (e.g. EOS), unless forced by <see cref="ForcedTokens"/>.</summary>
    public HashSet<int> Avoid { get; } = [];

    /// <summary>Per sequence length (prompt + output so far), a token to sample instead of the hash.</summary>
    public Func<ulong, int, int?>? ForcedTokens { get; set; }

    public int LiveSequences => _tables.Count;

    public StepResult Execute(StepPlan plan)
    {
        foreach (ulong id in plan.ReleasedSequenceIds)
        {
            _tables.Remove(id);
            _lastSampled.Remove(id);
        }
        var result = new StepResult { StepId = plan.StepId, WorkerId = "fake" };
        foreach (ScheduledSequence s in plan.Rows())
        {
            if (s.IsNew)
            {
                _tables[s.SequenceId] = [];
                _lastSampled.Remove(s.SequenceId);
            }
            List<int> table = _tables[s.SequenceId];
            table.AddRange(s.NewBlockIds);
            for (int i = 0; i < s.TokenIds.Count; i++)
            {
                int pos = s.StartPosition + i;
                int fed = s.TokenIds[i];
                if (fed == StepPlan.DeferredToken)
                {
                    // Async scheduling: the input is this worker's own previous sample, as the real worker does it.
                    fed = _lastSampled.TryGetValue(s.SequenceId, out int last)
                        ? last
                        : throw new InvalidOperationException($"sequence {s.SequenceId}: deferred token before any sample");
                }
                CheckExclusiveWrite(s.SequenceId, table[pos / _blockSize]);
                _slots[Slot(table, pos)] = fed;
            }
            if (s.Sample)
            {
                int length = s.StartPosition + s.TokenIds.Count;
                int token = Next(s.SequenceId, table, length);
                _lastSampled[s.SequenceId] = token;
                // Both result encodings, as a real worker sends them (packed unless there are logprobs).
                if (s.IsNew)
                {
                    result.Tokens.Add(new SampledToken { SequenceId = s.SequenceId, TokenId = token });
                }
                else
                {
                    result.SampledSequenceIds.Add(s.SequenceId);
                    result.SampledTokenIds.Add(token);
                }
            }
        }
        return result;
    }

    /// <summary>The model: a function of the sequence's tokens only.</summary>
    public int NextToken(ReadOnlySpan<int> tokens)
    {
        ulong hash = 1469598103934665603;
        foreach (int t in tokens)
        {
            hash = (hash ^ (uint)t) * 1099511628211;
        }
        int token = (int)(hash % (ulong)_vocab);
        while (Avoid.Contains(token))
        {
            token = (token + 1) % _vocab;
        }
        return token;
    }

    private int Next(ulong sequenceId, List<int> table, int length)
    {
        int[] tokens = new int[length];
        for (int pos = 0; pos < length; pos++)
        {
            tokens[pos] = _slots[Slot(table, pos)];
        }
        return ForcedTokens?.Invoke(sequenceId, length) ?? NextToken(tokens);
    }

    private int Slot(List<int> table, int pos) => (table[pos / _blockSize] * _blockSize) + (pos % _blockSize);

    // A block in two live tables is a shared full prefix: it must never be written again, or one sequence's KV would
    // change under the other. (A later row of the same step that hits a block this row completes joins its table after.)
    private void CheckExclusiveWrite(ulong writer, int block)
    {
        foreach (var (id, table) in _tables)
        {
            if (id != writer && table.Contains(block))
            {
                throw new InvalidOperationException($"sequence {writer} writes block {block}, which sequence {id} also holds");
            }
        }
    }
}
