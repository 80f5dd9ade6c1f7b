using System.Text.Json;

namespace LlmServe.Tokenization;

/// <summary>
/// What tokenizer_config.json says about a model's text interface: chat template(s), special token strings,
/// BOS/EOS flags and length limit. Tokens may be written as a string or as an object with "content".
/// </summary>
public sealed class TokenizerConfig
{
    /// <summary>The default chat template (the one named "default" when several are given), or null.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>All chat templates by name; a single string template is stored under "default".</summary>
    public IReadOnlyDictionary<string, string> ChatTemplates { get; init; } = new Dictionary<string, string>();

    public string? BosToken { get; init; }

    public string? EosToken { get; init; }

    public string? PadToken { get; init; }

    public string? UnkToken { get; init; }

    /// <summary>add_bos_token when the file states it (SentencePiece-style tokenizers), else null.</summary>
    public bool? AddBosToken { get; init; }

    /// <summary>add_eos_token when the file states it, else null.</summary>
    public bool? AddEosToken { get; init; }

    /// <summary>model_max_length, clamped to long.MaxValue (files use 1e30 for "no limit"), or null.</summary>
    public long? ModelMaxLength { get; init; }

    public bool CleanUpTokenizationSpaces { get; init; }

    /// <summary>Reads tokenizer_config.json.</summary>
    /// <exception cref="TokenizerLoadException">Missing or malformed file.</exception>
    public static TokenizerConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, "tokenizer_config.json");
        }

        if (!File.Exists(path))
        {
            throw new TokenizerLoadException($"tokenizer config not found: {path}");
        }

        try
        {
            return Parse(File.ReadAllBytes(path));
        }
        catch (TokenizerLoadException e)
        {
            throw new TokenizerLoadException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Parses tokenizer_config.json content (UTF-8).</summary>
    public static TokenizerConfig Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            using JsonDocument doc = JsonDocument.ParseValue(ref reader);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new TokenizerLoadException("tokenizer_config.json is not a JSON object");
            }

            Dictionary<string, string> templates = Templates(root);
            return new TokenizerConfig
            {
                ChatTemplates = templates,
                ChatTemplate = templates.GetValueOrDefault("default"),
                BosToken = Token(root, "bos_token"),
                EosToken = Token(root, "eos_token"),
                PadToken = Token(root, "pad_token"),
                UnkToken = Token(root, "unk_token"),
                AddBosToken = Flag(root, "add_bos_token"),
                AddEosToken = Flag(root, "add_eos_token"),
                ModelMaxLength = root.TryGetProperty("model_max_length", out JsonElement m) && m.ValueKind == JsonValueKind.Number
                    ? (m.TryGetInt64(out long l) ? l : (long)Math.Min(m.GetDouble(), long.MaxValue))
                    : null,
                CleanUpTokenizationSpaces = Flag(root, "clean_up_tokenization_spaces") ?? false,
            };
        }
        catch (JsonException e)
        {
            throw new TokenizerLoadException($"malformed tokenizer_config.json: {e.Message}", e);
        }
    }

    private static Dictionary<string, string> Templates(JsonElement root)
    {
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("chat_template", out JsonElement t))
        {
            return templates;
        }

        if (t.ValueKind == JsonValueKind.String)
        {
            templates["default"] = t.GetString()!;
        }
        else if (t.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement entry in t.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object
                    && entry.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String
                    && entry.TryGetProperty("template", out JsonElement body) && body.ValueKind == JsonValueKind.String)
                {
                    templates[name.GetString()!] = body.GetString()!;
                }
                else
                {
                    throw new TokenizerLoadException("chat_template list entries must be {\"name\": ..., \"template\": ...}");
                }
            }
        }
        else if (t.ValueKind != JsonValueKind.Null)
        {
            throw new TokenizerLoadException("chat_template must be a string or a list of {name, template}");
        }

        return templates;
    }

    private static string? Token(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            JsonValueKind.Null => null,
            _ => throw new TokenizerLoadException($"{name} must be a string or an object with \"content\""),
        };
    }

    private static bool? Flag(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
