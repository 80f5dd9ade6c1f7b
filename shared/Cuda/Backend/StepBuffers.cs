using LlmServe.Cuda.Runtime;
using LlmServe.Inference.Backends;

namespace LlmServe.Cuda.Backend;

/// <summary>
/// The device copy of one step's metadata (token ids, positions, slots, query starts, context lengths, logit
/// rows, block tables) in one int buffer with fixed section offsets, filled by ONE pinned host-to-device copy per
/// step. Capacities only grow; <see cref="Generation"/> changes when they do, so captured graphs know to rebuild.
/// </summary>
internal sealed class StepBuffers : IDisposable
{
    private readonly CudaContext _context;
    private DeviceBuffer? _device;
    private PinnedHostBuffer? _host;
    private CudaEvent? _copied;

    public StepBuffers(CudaContext context) => _context = context;

    public int TokenCapacity { get; private set; }

    public int SeqCapacity { get; private set; }

    /// <summary>Row stride of the device block tables (≥ every batch's stride).</summary>
    public int TableStride { get; private set; }

    public int Generation { get; private set; }

    // Section offsets in ints.
    private int _positions, _slots, _queryStarts, _contextLens, _logitRows, _tables, _total;

    public int NumTokens { get; private set; }

    public int NumSeqs { get; private set; }

    public int NumLogitRows { get; private set; }

    public int MaxQueryLength { get; private set; }

    public int MaxContextLength { get; private set; }

    public int MaxPosition { get; private set; }

    /// <summary>Sequences at the front of the batch with one query token each (the worker puts decodes first).</summary>
    public int LeadingDecodes { get; private set; }

    /// <summary>Longest context among the <see cref="LeadingDecodes"/>.</summary>
    public int LeadingDecodeMaxContext { get; private set; }

    public bool HasTokenIds { get; private set; }

    public ulong TokenIds => _device!.Pointer;

    public ulong Positions => _device!.At(4L * _positions);

    public ulong Slots => _device!.At(4L * _slots);

    public ulong QueryStarts => _device!.At(4L * _queryStarts);

    public ulong ContextLengths => _device!.At(4L * _contextLens);

    public ulong LogitRows => _device!.At(4L * _logitRows);

    public ulong BlockTables => _device!.At(4L * _tables);

    /// <summary>Copies <paramref name="batch"/> to the device on <paramref name="stream"/>, padded to <paramref name="paddedSeqs"/> decode rows when graphs replay a bucket.</summary>
    public void Load(in StepBatch batch, CudaStream stream, int paddedSeqs)
    {
        int tokens = Math.Max(batch.NumTokens, paddedSeqs);
        int seqs = Math.Max(batch.NumSeqs, paddedSeqs);
        Ensure(tokens, Math.Max(seqs, batch.NumLogitRows), batch.BlockTableStride);
        _copied!.Synchronize(); // the previous step's copy has read the pinned buffer
        var h = _host!.AsSpan<int>();
        h[.._total].Clear();
        HasTokenIds = batch.TokenIds.Length == batch.NumTokens;
        if (HasTokenIds)
        {
            batch.TokenIds.CopyTo(h);
        }

        batch.Positions.CopyTo(h[_positions..]);
        batch.SlotMapping.CopyTo(h[_slots..]);
        for (int t = batch.NumTokens; t < tokens; t++)
        {
            h[_slots + t] = -1;
        }

        batch.QueryStarts.CopyTo(h[_queryStarts..]);
        for (int s = batch.NumSeqs; s < seqs; s++)
        {
            // Padding sequences: one query row each, empty context.
            h[_queryStarts + s + 1] = s + 1;
        }

        batch.ContextLengths.CopyTo(h[_contextLens..]);
        batch.LogitRows.CopyTo(h[_logitRows..]);
        for (int s = 0; s < batch.NumSeqs; s++)
        {
            batch.BlockTable(s).CopyTo(h.Slice(_tables + (s * TableStride), batch.BlockTableStride));
        }

        int maxPos = 0;
        foreach (var p in batch.Positions)
        {
            maxPos = Math.Max(maxPos, p);
        }

        NumTokens = batch.NumTokens;
        NumSeqs = batch.NumSeqs;
        NumLogitRows = batch.NumLogitRows;
        MaxQueryLength = batch.MaxQueryLength;
        MaxContextLength = batch.MaxContextLength;
        MaxPosition = maxPos;
        int decodes = 0, decodeContext = 0;
        for (; decodes < batch.NumSeqs && batch.QueryStarts[decodes + 1] - batch.QueryStarts[decodes] == 1; decodes++)
        {
            decodeContext = Math.Max(decodeContext, batch.ContextLengths[decodes]);
        }

        LeadingDecodes = decodes;
        LeadingDecodeMaxContext = decodeContext;
        stream.CopyToDevice(_host, 0, _device!.Pointer, 4L * (_tables + (seqs * TableStride)));
        _copied.Record(stream);
    }

    private void Ensure(int tokens, int seqs, int stride)
    {
        if (_device is not null && tokens <= TokenCapacity && seqs <= SeqCapacity && stride <= TableStride)
        {
            return;
        }

        TokenCapacity = Math.Max(tokens, Math.Max(TokenCapacity, 256));
        SeqCapacity = Math.Max(seqs, Math.Max(SeqCapacity, 256));
        TableStride = Math.Max(stride, TableStride);
        _positions = TokenCapacity;
        _slots = 2 * TokenCapacity;
        _queryStarts = 3 * TokenCapacity;
        _contextLens = _queryStarts + SeqCapacity + 1;
        _logitRows = _contextLens + SeqCapacity;
        _tables = _logitRows + SeqCapacity;
        _total = _tables + (SeqCapacity * TableStride);
        _copied?.Synchronize();
        _device?.Dispose();
        _host?.Dispose();
        _device = DeviceBuffer.Allocate(_context, 4L * _total);
        _host = PinnedHostBuffer.Allocate(_context, 4L * _total);
        _copied ??= CudaEvent.Create(_context, timing: false);
        Generation++;
    }

    public void Dispose()
    {
        _device?.Dispose();
        _host?.Dispose();
        _copied?.Dispose();
    }
}
