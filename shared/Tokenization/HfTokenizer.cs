using LlmServe.Tokenization.AddedTokens;
using LlmServe.Tokenization.Loading;
using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization;

/// <summary>
/// A Hugging Face tokenizer.json tokenizer (BPE with byte-level or SentencePiece-style pipelines), producing
/// the same ids as the Rust <c>tokenizers</c> library. Thread-safe; encoding reuses per-thread buffers.
/// </summary>
/// <remarks>
/// Unpaired UTF-16 surrogates cannot exist in Rust strings; like the node and Python bindings we replace
/// each with U+FFFD before encoding.
/// </remarks>
public sealed class HfTokenizer
{
    private readonly TokenizerDefinition _definition;
    private readonly AddedTokenMatcher? _rawMatcher;
    private readonly AddedTokenMatcher? _normalizedMatcher;
    private readonly string?[] _idToToken;
    private readonly bool[] _isSpecial;
    private readonly bool[] _isByteFallback;
    private readonly Dictionary<string, int> _addedTokenToId;
    private readonly HashSet<string> _specialContents;

    private HfTokenizer(TokenizerDefinition definition)
    {
        _definition = definition;
        int maxId = -1;
        foreach (int id in definition.Model.Vocab.Values)
        {
            maxId = Math.Max(maxId, id);
        }

        foreach (AddedToken t in definition.AddedTokens)
        {
            maxId = Math.Max(maxId, t.Id);
        }

        VocabSize = maxId + 1;
        _idToToken = new string?[VocabSize];
        _addedTokenToId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string token, int id) in definition.Model.Vocab)
        {
            _idToToken[id] = token;
        }

        _isSpecial = new bool[VocabSize];
        _specialContents = new HashSet<string>(StringComparer.Ordinal);
        foreach (AddedToken t in definition.AddedTokens)
        {
            _idToToken[t.Id] = t.Content;
            _addedTokenToId[t.Content] = t.Id;
            if (t.Special)
            {
                _specialContents.Add(t.Content);
            }
        }

        for (int id = 0; id < VocabSize; id++)
        {
            _isSpecial[id] = _idToToken[id] is { } s && _specialContents.Contains(s);
        }

        _isByteFallback = new bool[VocabSize];
        if (definition.DecodesByteFallback)
        {
            for (int id = 0; id < VocabSize; id++)
            {
                _isByteFallback[id] = _idToToken[id] is { } s && Decoders.ByteFallbackDecoder.TryParseByte(s, out _);
            }
        }

        var raw = definition.AddedTokens.Where(t => !t.Normalized || definition.Normalizer is null).ToList();
        var normalized = definition.AddedTokens.Where(t => t.Normalized && definition.Normalizer is not null).ToList();
        if (raw.Count > 0)
        {
            _rawMatcher = new AddedTokenMatcher(raw.Select(t => (t.Content, t)));
        }

        if (normalized.Count > 0)
        {
            _normalizedMatcher = new AddedTokenMatcher(normalized.Select(t => (definition.Normalizer!.Normalize(t.Content), t)));
        }
    }

    /// <summary>Size of the id space: the largest id in the vocabulary or the added tokens, plus one.</summary>
    public int VocabSize { get; }

    /// <summary>Ids the post-processor puts before the text when special tokens are added (e.g. BOS).</summary>
    public IReadOnlyList<int> PrefixSpecialIds => _definition.Frame.Prefix;

    /// <summary>Ids the post-processor puts after the text when special tokens are added (e.g. EOS).</summary>
    public IReadOnlyList<int> SuffixSpecialIds => _definition.Frame.Suffix;

    internal bool DecodesByteFallback => _definition.DecodesByteFallback;

    /// <summary>Loads a tokenizer.json file.</summary>
    /// <exception cref="TokenizerLoadException">Missing file, bad JSON, or an unsupported component (named in the message).</exception>
    public static HfTokenizer Load(string tokenizerJsonPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        if (Directory.Exists(tokenizerJsonPath))
        {
            return LoadFromDirectory(tokenizerJsonPath);
        }

        if (!File.Exists(tokenizerJsonPath))
        {
            throw new TokenizerLoadException($"tokenizer file not found: {tokenizerJsonPath}");
        }

        byte[] json = File.ReadAllBytes(tokenizerJsonPath);
        try
        {
            return FromJson(json);
        }
        catch (TokenizerLoadException e)
        {
            throw new TokenizerLoadException($"{tokenizerJsonPath}: {e.Message}", e);
        }
    }

    /// <summary>Loads <c>tokenizer.json</c> from a Hugging Face model directory.</summary>
    public static HfTokenizer LoadFromDirectory(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        string path = Path.Combine(modelDirectory, "tokenizer.json");
        if (!File.Exists(path))
        {
            throw new TokenizerLoadException($"no tokenizer.json in model directory {modelDirectory}");
        }

        return Load(path);
    }

    /// <summary>Builds a tokenizer from tokenizer.json content (UTF-8).</summary>
    public static HfTokenizer FromJson(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            return new HfTokenizer(TokenizerJsonLoader.Load(utf8Json));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
        {
            throw new TokenizerLoadException($"malformed tokenizer.json: {e.Message}", e);
        }
    }

    /// <summary>Encodes text to token ids; with <paramref name="addSpecialTokens"/> the post-processor adds BOS/EOS.</summary>
    public int[] Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        IdBuffer ids = EncodeToWorkspace(text, text, addSpecialTokens);
        return ids.Span.ToArray();
    }

    /// <summary>Encodes into a caller buffer without allocating the result; false (and nothing useful written) when it does not fit.</summary>
    public bool TryEncode(ReadOnlySpan<char> text, Span<int> destination, out int written, bool addSpecialTokens = true)
    {
        IdBuffer ids = EncodeToWorkspace(text, null, addSpecialTokens);
        written = ids.Count;
        if (ids.Count > destination.Length)
        {
            return false;
        }

        ids.Span.CopyTo(destination);
        return true;
    }

    /// <summary>Number of tokens the text encodes to.</summary>
    public int CountTokens(ReadOnlySpan<char> text, bool addSpecialTokens = true) => EncodeToWorkspace(text, null, addSpecialTokens).Count;

    /// <summary>Decodes ids to text as Hugging Face does; unknown ids are skipped.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabSize || _idToToken[id] is not { } token)
            {
                continue;
            }

            if (skipSpecialTokens && _isSpecial[id])
            {
                continue;
            }

            tokens.Add(token);
        }

        if (_definition.Decoder is null)
        {
            return string.Join(' ', tokens);
        }

        _definition.Decoder.DecodeChain(tokens);
        return string.Concat(tokens);
    }

    /// <summary>The token string for an id (added tokens included), or null.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)VocabSize ? _idToToken[id] : null;

    /// <summary>The id of a token string (added tokens included), or null.</summary>
    public int? TokenToId(string token) =>
        token is not null && (_addedTokenToId.TryGetValue(token, out int id) || _definition.Model.Vocab.TryGetValue(token, out id)) ? id : null;

    /// <summary>Whether the id is an added token marked special (what skip_special_tokens drops).</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)VocabSize && _isSpecial[id];

    /// <summary>Whether the id is a &lt;0xNN&gt; byte-fallback token that the decoder reassembles.</summary>
    internal bool IsByteFallbackToken(int id) => (uint)id < (uint)VocabSize && _isByteFallback[id];

    internal bool IsKnownId(int id) => (uint)id < (uint)VocabSize && _idToToken[id] is not null;

    private IdBuffer EncodeToWorkspace(ReadOnlySpan<char> text, string? textString, bool addSpecialTokens)
    {
        EncodeWorkspace ws = EncodeWorkspace.Current;
        IdBuffer output = ws.Ids;
        output.Clear();
        if (CodePoints.HasLoneSurrogate(text))
        {
            CodePoints.ReplaceLoneSurrogates(text, ws.Sanitized);
            text = ws.Sanitized.Span;
            textString = null;
        }

        if (addSpecialTokens)
        {
            output.AddRange(_definition.Frame.Prefix);
        }

        if (_rawMatcher is null)
        {
            EncodeSegment(text, textString, atStart: true, ws, output);
        }
        else
        {
            List<TextSegment> segments = ws.RawSegments;
            _rawMatcher.Split(text, segments);
            foreach (TextSegment s in segments)
            {
                if (s.TokenId >= 0)
                {
                    output.Add(s.TokenId);
                }
                else
                {
                    bool whole = s.Start == 0 && s.End == text.Length;
                    EncodeSegment(text[s.Start..s.End], whole ? textString : null, s.Start == 0, ws, output);
                }
            }
        }

        if (addSpecialTokens)
        {
            output.AddRange(_definition.Frame.Suffix);
        }

        return output;
    }

    private void EncodeSegment(ReadOnlySpan<char> text, string? textString, bool atStart, EncodeWorkspace ws, IdBuffer output)
    {
        if (_definition.Normalizer is not null)
        {
            string normalized = _definition.Normalizer.Normalize(textString ?? text.ToString());
            text = normalized;
        }

        if (_normalizedMatcher is null)
        {
            PreTokenizeAndModel(text, atStart, ws, output);
            return;
        }

        List<TextSegment> segments = ws.NormalizedSegments;
        _normalizedMatcher.Split(text, segments);
        foreach (TextSegment s in segments)
        {
            if (s.TokenId >= 0)
            {
                output.Add(s.TokenId);
            }
            else
            {
                PreTokenizeAndModel(text[s.Start..s.End], atStart && s.Start == 0, ws, output);
            }
        }
    }

    private void PreTokenizeAndModel(ReadOnlySpan<char> text, bool atStart, EncodeWorkspace ws, IdBuffer output)
    {
        if (text.IsEmpty)
        {
            return;
        }

        PieceBuffer source = ws.Source;
        source.Clear();
        source.Add(text, atStart);
        PieceBuffer pieces = source;
        if (_definition.PreTokenizer is not null)
        {
            pieces = ws.Pieces;
            pieces.Clear();
            _definition.PreTokenizer.PreTokenize(source, pieces, ws.Scratch);
        }

        for (int i = 0; i < pieces.Count; i++)
        {
            _definition.Model.Tokenize(pieces[i], output);
        }
    }
}
