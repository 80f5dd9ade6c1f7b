using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using LlmServe.Tokenization.AddedTokens;
using LlmServe.Tokenization.Decoders;
using LlmServe.Tokenization.Models;
using LlmServe.Tokenization.Normalizers;
using LlmServe.Tokenization.PostProcessors;
using LlmServe.Tokenization.PreTokenizers;

namespace LlmServe.Tokenization.Loading;

/// <summary>Reads tokenizer.json into components; anything we do not implement fails with its name.</summary>
internal static class TokenizerJsonLoader
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static TokenizerDefinition Load(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        using JsonDocument doc = JsonDocument.ParseValue(ref reader);
        JsonElement root = doc.RootElement;
        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out JsonElement addedJson) && addedJson.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement t in addedJson.EnumerateArray())
            {
                added.Add(new AddedToken(
                    t.GetProperty("id").GetInt32(),
                    t.GetProperty("content").GetString() ?? string.Empty,
                    Bool(t, "special", false),
                    Bool(t, "single_word", false),
                    Bool(t, "lstrip", false),
                    Bool(t, "rstrip", false),
                    Bool(t, "normalized", true)));
            }
        }

        BpeModel model = LoadModel(Required(root, "model"));
        INormalizer? normalizer = Optional(root, "normalizer") is { } n ? LoadNormalizer(n) : null;
        IPreTokenizer? preTokenizer = Optional(root, "pre_tokenizer") is { } p ? LoadPreTokenizer(p) : null;
        IDecoder? decoder = Optional(root, "decoder") is { } d ? LoadDecoder(d) : null;
        SpecialTokenFrame frame = Optional(root, "post_processor") is { } pp ? LoadPostProcessor(pp, model) : SpecialTokenFrame.Empty;
        bool byteFallback = Optional(root, "decoder") is { } dj && dj.GetRawText().Contains("\"ByteFallback\"", StringComparison.Ordinal);
        return new TokenizerDefinition(model, normalizer, preTokenizer, decoder, frame, added, byteFallback);
    }

    private static BpeModel LoadModel(JsonElement m)
    {
        string type = m.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "BPE" : (m.TryGetProperty("merges", out _) ? "BPE" : "?");
        if (type != "BPE")
        {
            throw new TokenizerLoadException($"unsupported tokenizer.json model type '{type}' (only BPE is implemented)");
        }

        if (m.TryGetProperty("dropout", out JsonElement dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
        {
            throw new TokenizerLoadException("unsupported BPE option: dropout");
        }

        JsonElement vocabJson = Required(m, "vocab");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocabJson.EnumerateObject())
        {
            vocab[entry.Name] = entry.Value.GetInt32();
        }

        var options = new BpeOptions(
            Str(m, "unk_token"),
            Bool(m, "fuse_unk", false),
            Bool(m, "byte_fallback", false),
            Bool(m, "ignore_merges", false),
            Str(m, "continuing_subword_prefix"),
            Str(m, "end_of_word_suffix"));
        MergeTable merges = m.TryGetProperty("merges", out JsonElement mergesJson) && mergesJson.ValueKind == JsonValueKind.Array
            ? MergeListReader.Read(JsonMarshal.GetRawUtf8Value(mergesJson), mergesJson.GetArrayLength(), vocab, options.ContinuingSubwordPrefix)
            : new MergeTable(0);
        return new BpeModel(vocab, merges, options);
    }

    private static INormalizer LoadNormalizer(JsonElement n)
    {
        string type = TypeOf(n, "normalizer");
        return type switch
        {
            "Sequence" => new SequenceNormalizer([.. Required(n, "normalizers").EnumerateArray().Select(LoadNormalizer)]),
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(Bool(n, "strip_left", true), Bool(n, "strip_right", true)),
            "Prepend" => new PrependNormalizer(Str(n, "prepend") ?? string.Empty),
            "Replace" => LoadReplaceNormalizer(n),
            _ => throw new TokenizerLoadException($"unsupported tokenizer.json normalizer type '{type}'"),
        };
    }

    private static ReplaceNormalizer LoadReplaceNormalizer(JsonElement n)
    {
        (string? literal, Regex? regex) = Pattern(Required(n, "pattern"));
        return new ReplaceNormalizer(literal, regex, Str(n, "content") ?? string.Empty);
    }

    private static IPreTokenizer LoadPreTokenizer(JsonElement p)
    {
        string type = TypeOf(p, "pre_tokenizer");
        switch (type)
        {
            case "Sequence":
                return new SequencePreTokenizer([.. Required(p, "pretokenizers").EnumerateArray().Select(LoadPreTokenizer)]);
            case "ByteLevel":
                return new ByteLevelPreTokenizer(Bool(p, "add_prefix_space", true), Bool(p, "use_regex", true));
            case "Split":
                return new SplitPreTokenizer(
                    MatchFinder(Required(p, "pattern")),
                    Behavior(Str(p, "behavior") ?? "Isolated"),
                    Bool(p, "invert", false));
            case "Digits":
                return new SplitPreTokenizer(
                    new AsciiDigitMatchFinder(),
                    Bool(p, "individual_digits", false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous,
                    invert: false);
            case "Metaspace":
                return new MetaspacePreTokenizer(Replacement(p), Scheme(p), Bool(p, "split", true));
            default:
                throw new TokenizerLoadException($"unsupported tokenizer.json pre_tokenizer type '{type}'");
        }
    }

    private static IMatchFinder MatchFinder(JsonElement pattern)
    {
        if (pattern.TryGetProperty("String", out JsonElement literal))
        {
            return new LiteralMatchFinder(literal.GetString() ?? string.Empty);
        }

        string regex = Required(pattern, "Regex").GetString() ?? string.Empty;
        return regex switch
        {
            Gpt4StyleMatchFinder.Llama3Pattern => new Gpt4StyleMatchFinder(maxDigits: 3),
            Gpt4StyleMatchFinder.QwenPattern => new Gpt4StyleMatchFinder(maxDigits: 1),
            Gpt2Pattern => new Gpt2MatchFinder(),
            _ => new RegexMatchFinder(CompileRegex(regex)),
        };
    }

    private static IDecoder LoadDecoder(JsonElement d)
    {
        string type = TypeOf(d, "decoder");
        switch (type)
        {
            case "Sequence":
                return new SequenceDecoder([.. Required(d, "decoders").EnumerateArray().Select(LoadDecoder)]);
            case "ByteLevel":
                return new ByteLevelDecoder();
            case "ByteFallback":
                return new ByteFallbackDecoder();
            case "Fuse":
                return new FuseDecoder();
            case "Strip":
                string content = Str(d, "content") ?? " ";
                if (content.Length != 1)
                {
                    throw new TokenizerLoadException("Strip decoder content must be one char");
                }

                return new StripDecoder(content[0], Int(d, "start"), Int(d, "stop"));
            case "Replace":
                (string? literal, Regex? regex) = Pattern(Required(d, "pattern"));
                return new ReplaceDecoder(literal, regex, Str(d, "content") ?? string.Empty);
            case "Metaspace":
                return new MetaspaceDecoder(Replacement(d), Scheme(d) != PrependScheme.Never);
            default:
                throw new TokenizerLoadException($"unsupported tokenizer.json decoder type '{type}'");
        }
    }

    private static SpecialTokenFrame LoadPostProcessor(JsonElement p, BpeModel model)
    {
        string type = TypeOf(p, "post_processor");
        switch (type)
        {
            case "ByteLevel":
                return SpecialTokenFrame.Empty;
            case "Sequence":
                var prefix = new List<int>();
                var suffix = new List<int>();
                foreach (JsonElement inner in Required(p, "processors").EnumerateArray())
                {
                    SpecialTokenFrame f = LoadPostProcessor(inner, model);
                    prefix.AddRange(f.Prefix);
                    suffix.AddRange(f.Suffix);
                }

                return new SpecialTokenFrame([.. prefix], [.. suffix]);
            case "TemplateProcessing":
                return LoadTemplate(p);
            case "BertProcessing" or "RobertaProcessing":
                int cls = Required(p, "cls")[1].GetInt32();
                int sep = Required(p, "sep")[1].GetInt32();
                return new SpecialTokenFrame([cls], [sep]);
            default:
                throw new TokenizerLoadException($"unsupported tokenizer.json post_processor type '{type}'");
        }
    }

    private static SpecialTokenFrame LoadTemplate(JsonElement p)
    {
        JsonElement single = Required(p, "single");
        if (single.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerLoadException("TemplateProcessing 'single' must be a list of pieces");
        }

        JsonElement specials = Required(p, "special_tokens");
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        foreach (JsonElement piece in single.EnumerateArray())
        {
            if (piece.TryGetProperty("Sequence", out _))
            {
                seenSequence = true;
                continue;
            }

            string name = Required(Required(piece, "SpecialToken"), "id").GetString() ?? string.Empty;
            if (!specials.TryGetProperty(name, out JsonElement special))
            {
                throw new TokenizerLoadException($"TemplateProcessing refers to special token '{name}' it does not define");
            }

            List<int> target = seenSequence ? suffix : prefix;
            foreach (JsonElement id in Required(special, "ids").EnumerateArray())
            {
                target.Add(id.GetInt32());
            }
        }

        return new SpecialTokenFrame([.. prefix], [.. suffix]);
    }

    private static (string? Literal, Regex? Regex) Pattern(JsonElement pattern)
    {
        if (pattern.TryGetProperty("String", out JsonElement literal))
        {
            return (literal.GetString() ?? string.Empty, null);
        }

        return (null, CompileRegex(Required(pattern, "Regex").GetString() ?? string.Empty));
    }

    private static Regex CompileRegex(string pattern)
    {
        if (Regex.IsMatch(pattern, @"(?<!\\)[+*?}]\+"))
        {
            throw new TokenizerLoadException($"unsupported regex (possessive quantifier) in tokenizer.json: {pattern}");
        }

        try
        {
            return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(5));
        }
        catch (ArgumentException e)
        {
            throw new TokenizerLoadException($"tokenizer.json regex does not compile in .NET: {pattern}", e);
        }
    }

    private static SplitBehavior Behavior(string name) => name switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        _ => throw new TokenizerLoadException($"unsupported Split behavior '{name}'"),
    };

    private static char Replacement(JsonElement e)
    {
        string r = Str(e, "replacement") ?? "\u2581";
        if (r.Length != 1)
        {
            throw new TokenizerLoadException("Metaspace replacement must be one char");
        }

        return r[0];
    }

    private static PrependScheme Scheme(JsonElement e)
    {
        if (Str(e, "prepend_scheme") is { } scheme)
        {
            return scheme switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                _ => throw new TokenizerLoadException($"unsupported Metaspace prepend_scheme '{scheme}'"),
            };
        }

        return Bool(e, "add_prefix_space", true) ? PrependScheme.Always : PrependScheme.Never;
    }

    private static string TypeOf(JsonElement e, string what) =>
        e.TryGetProperty("type", out JsonElement t) && t.GetString() is { } s
            ? s
            : throw new TokenizerLoadException($"tokenizer.json {what} has no type");

    private static JsonElement Required(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null
            ? v
            : throw new TokenizerLoadException($"tokenizer.json is missing '{name}'");

    private static JsonElement? Optional(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static bool Bool(JsonElement e, string name, bool fallback) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    private static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
