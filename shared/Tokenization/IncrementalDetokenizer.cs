namespace LlmServe.Tokenization;

/// <summary>
/// Turns a stream of generated token ids into text deltas whose concatenation (plus <see cref="Flush"/>)
/// equals <see cref="HfTokenizer.Decode"/> of all the ids. A delta never ends inside a multi-byte character:
/// text is held back while the decode ends in U+FFFD (an incomplete UTF-8 sequence) or while a run of
/// &lt;0xNN&gt; byte-fallback tokens may continue (Hugging Face decodes such runs as a whole).
/// </summary>
/// <remarks>
/// The approach is the prefix/read-offset window used by vLLM and TGI: decode the few ids since the last
/// emitted boundary, with one emitted token of context so SentencePiece leading-space rules apply the same
/// way as in the full decode, and emit what the new ids added. State is a handful of ints per sequence.
/// Not thread-safe: one instance per sequence.
/// </remarks>
public sealed class IncrementalDetokenizer
{
    // Past this many pending ids the window is emitted even if it still ends in U+FFFD, so a model that
    // emits invalid bytes forever cannot make each step decode an ever-growing window. Only such garbage
    // (30+ ids of incomplete UTF-8) can reach it; byte-fallback runs are not decoded until they end.
    private const int MaxPendingTokens = 32;

    private readonly HfTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private int[] _window = new int[8];
    private int _count;
    private int _read;
    private int _prefixTextLength = -1;

    public IncrementalDetokenizer(HfTokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds one generated id; returns the new text (empty while it is held back).</summary>
    public string Add(int tokenId) => Add([tokenId]);

    /// <summary>Adds several generated ids; returns the new text (empty while it is held back).</summary>
    public string Add(ReadOnlySpan<int> tokenIds)
    {
        foreach (int id in tokenIds)
        {
            if (!_tokenizer.IsKnownId(id) || (_skipSpecialTokens && _tokenizer.IsSpecial(id)))
            {
                continue;
            }

            if (_count == _window.Length)
            {
                Array.Resize(ref _window, _window.Length * 2);
            }

            _window[_count++] = id;
        }

        if (_count == _read)
        {
            return string.Empty;
        }

        // A run of byte tokens decodes as a whole (valid UTF-8 or one U+FFFD per byte), so it waits for its end.
        if (_tokenizer.DecodesByteFallback && _tokenizer.IsByteFallbackToken(_window[_count - 1]))
        {
            return string.Empty;
        }

        return Emit(force: _count - _read > MaxPendingTokens);
    }

    /// <summary>Returns whatever is still held back (call when the sequence finishes) and resets.</summary>
    public string Flush()
    {
        string rest = _count > _read ? Emit(force: true) : string.Empty;
        _count = 0;
        _read = 0;
        _prefixTextLength = -1;
        return rest;
    }

    private string Emit(bool force)
    {
        if (_prefixTextLength < 0)
        {
            _prefixTextLength = _read == 0 ? 0 : _tokenizer.Decode(_window.AsSpan(0, _read)).Length;
        }

        string text = _tokenizer.Decode(_window.AsSpan(0, _count));
        if (text.Length <= _prefixTextLength || (!force && text[^1] == '\uFFFD'))
        {
            return string.Empty;
        }

        string delta = text[_prefixTextLength..];

        // The ids just emitted become the context of the next window.
        int keep = _count - _read;
        Array.Copy(_window, _read, _window, 0, keep);
        _count = keep;
        _read = keep;
        _prefixTextLength = -1;
        return delta;
    }
}
