using System.Collections.Concurrent;
using System.Text;
using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.Models;

/// <summary>
/// Byte-pair encoding as Hugging Face's BPE model does it: a word starts as one symbol per char (or byte
/// fallback tokens, or unk), then the lowest-ranked adjacent pair merges, leftmost first, until none applies.
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedWordLength = 256;
    private const int CacheCapacity = 100_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly MergeTable _merges;
    private readonly BpeOptions _options;
    private readonly int _unknownId = -1;
    private readonly int[] _byteFallbackIds;
    private readonly int[] _singleCharIds;
    private readonly bool _plainSymbols;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    [ThreadStatic]
    private static BpeWorkspace? t_workspace;

    private int _cacheSize;

    public BpeModel(Dictionary<string, int> vocab, MergeTable merges, BpeOptions options)
    {
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _options = options;
        if (options.UnknownToken is not null)
        {
            if (!vocab.TryGetValue(options.UnknownToken, out _unknownId))
            {
                throw new TokenizerLoadException($"BPE unk_token '{options.UnknownToken}' is not in the vocabulary");
            }
        }

        _byteFallbackIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            _byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }

        _plainSymbols = string.IsNullOrEmpty(options.ContinuingSubwordPrefix) && string.IsNullOrEmpty(options.EndOfWordSuffix);
        _singleCharIds = new int[65536];
        Array.Fill(_singleCharIds, -1);
        foreach ((string token, int id) in vocab)
        {
            if (token.Length == 1)
            {
                _singleCharIds[token[0]] = id;
            }
        }

        _merges = merges;
    }

    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>Appends the ids of one pre-tokenized piece.</summary>
    public void Tokenize(ReadOnlySpan<char> word, IdBuffer output)
    {
        if (word.IsEmpty)
        {
            return;
        }

        if (_options.IgnoreMerges && _vocabBySpan.TryGetValue(word, out int whole))
        {
            output.Add(whole);
            return;
        }

        bool cacheable = word.Length <= MaxCachedWordLength;
        if (cacheable && _cacheBySpan.TryGetValue(word, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }

        BpeWorkspace ws = t_workspace ??= new BpeWorkspace();
        int first = output.Count;
        int count = InitialSymbols(word, ws);
        MergeSymbols(ws, count);
        for (int i = 0; i >= 0 && count > 0; i = ws.Next[i])
        {
            output.Add(ws.Ids[i]);
        }

        // ConcurrentDictionary.Count takes every lock, so the size is tracked separately.
        if (cacheable && Volatile.Read(ref _cacheSize) < CacheCapacity && _cache.TryAdd(word.ToString(), output.Span[first..].ToArray()))
        {
            Interlocked.Increment(ref _cacheSize);
        }
    }

    private int InitialSymbols(ReadOnlySpan<char> word, BpeWorkspace ws)
    {
        ws.EnsureSymbols(word.Length * 4 + 1);
        int count = 0;
        int pendingUnknown = -1;
        for (int i = 0; i < word.Length;)
        {
            int width = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            ReadOnlySpan<char> symbol = word.Slice(i, width);
            int id = LookupSymbol(symbol, isFirst: i == 0, isLast: i + width == word.Length, out string? decorated);
            i += width;
            if (id >= 0)
            {
                if (pendingUnknown >= 0)
                {
                    count = Push(ws, count, pendingUnknown);
                    pendingUnknown = -1;
                }

                count = Push(ws, count, id);
                continue;
            }

            if (_options.ByteFallback && TryPushBytes(ws, ref count, decorated is null ? symbol : decorated.AsSpan()))
            {
                continue;
            }

            if (_unknownId >= 0)
            {
                if (pendingUnknown >= 0 && !_options.FuseUnknown)
                {
                    count = Push(ws, count, pendingUnknown);
                }

                pendingUnknown = _unknownId;
            }
        }

        if (pendingUnknown >= 0)
        {
            count = Push(ws, count, pendingUnknown);
        }

        for (int k = 0; k < count; k++)
        {
            ws.Prev[k] = k - 1;
            ws.Next[k] = k + 1 < count ? k + 1 : -1;
        }

        return count;
    }

    private int LookupSymbol(ReadOnlySpan<char> symbol, bool isFirst, bool isLast, out string? decorated)
    {
        decorated = null;
        if (_plainSymbols)
        {
            if (symbol.Length == 1)
            {
                return _singleCharIds[symbol[0]];
            }

            return _vocabBySpan.TryGetValue(symbol, out int id) ? id : -1;
        }

        var sb = new StringBuilder();
        if (!isFirst)
        {
            sb.Append(_options.ContinuingSubwordPrefix);
        }

        sb.Append(symbol);
        if (isLast)
        {
            sb.Append(_options.EndOfWordSuffix);
        }

        decorated = sb.ToString();
        return _vocab.TryGetValue(decorated, out int decoratedId) ? decoratedId : -1;
    }

    private bool TryPushBytes(BpeWorkspace ws, ref int count, ReadOnlySpan<char> symbol)
    {
        Span<byte> bytes = stackalloc byte[64];
        int n = Encoding.UTF8.GetByteCount(symbol);
        if (n > bytes.Length)
        {
            bytes = new byte[n];
        }

        n = Encoding.UTF8.GetBytes(symbol, bytes);
        for (int b = 0; b < n; b++)
        {
            if (_byteFallbackIds[bytes[b]] < 0)
            {
                return false;
            }
        }

        ws.EnsureSymbols(count + n);
        for (int b = 0; b < n; b++)
        {
            count = Push(ws, count, _byteFallbackIds[bytes[b]]);
        }

        return true;
    }

    private static int Push(BpeWorkspace ws, int count, int id)
    {
        ws.EnsureSymbols(count + 1);
        ws.Ids[count] = id;
        return count + 1;
    }

    private void MergeSymbols(BpeWorkspace ws, int count)
    {
        if (count < 2)
        {
            return;
        }

        int heapCount = 0;
        for (int i = 0; i + 1 < count; i++)
        {
            AddCandidate(ws, ref heapCount, i, i + 1);
        }

        int[] ids = ws.Ids;
        int[] prev = ws.Prev;
        int[] next = ws.Next;
        while (heapCount > 0)
        {
            BpeWorkspace.Candidate top = PopMin(ws, ref heapCount);
            int left = top.Left;
            int right = top.Right;

            // Stale when either side has merged since the pair was queued.
            if (ids[left] != top.LeftId || next[left] != right || ids[right] != top.RightId)
            {
                continue;
            }

            ids[left] = top.NewId;
            ids[right] = -1;
            int after = next[right];
            next[left] = after;
            if (after >= 0)
            {
                prev[after] = left;
                AddCandidate(ws, ref heapCount, left, after);
            }

            if (prev[left] >= 0)
            {
                AddCandidate(ws, ref heapCount, prev[left], left);
            }
        }
    }

    private void AddCandidate(BpeWorkspace ws, ref int heapCount, int left, int right)
    {
        int leftId = ws.Ids[left];
        int rightId = ws.Ids[right];
        if (!_merges.TryGet(MergeTable.Key(leftId, rightId), out int rank, out int newId))
        {
            return;
        }

        if (heapCount == ws.Heap.Length)
        {
            Array.Resize(ref ws.Heap, ws.Heap.Length * 2);
        }

        var candidate = new BpeWorkspace.Candidate
        {
            Rank = rank,
            Left = left,
            Right = right,
            LeftId = leftId,
            RightId = rightId,
            NewId = newId,
        };

        BpeWorkspace.Candidate[] heap = ws.Heap;
        int i = heapCount++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!candidate.Before(heap[parent]))
            {
                break;
            }

            heap[i] = heap[parent];
            i = parent;
        }

        heap[i] = candidate;
    }

    private static BpeWorkspace.Candidate PopMin(BpeWorkspace ws, ref int heapCount)
    {
        BpeWorkspace.Candidate[] heap = ws.Heap;
        BpeWorkspace.Candidate top = heap[0];
        BpeWorkspace.Candidate last = heap[--heapCount];
        int i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= heapCount)
            {
                break;
            }

            if (child + 1 < heapCount && heap[child + 1].Before(heap[child]))
            {
                child++;
            }

            if (!heap[child].Before(last))
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        if (heapCount > 0)
        {
            heap[i] = last;
        }

        return top;
    }
}
