using System.Text.Json;

namespace LlmServe.ChatTemplates;

/// <summary>
/// The chat-template settings of a Hugging Face <c>tokenizer_config.json</c>: one template or several named
/// ones (<c>[{"name": "default", "template": ...}, {"name": "tool_use", ...}]</c>) and the special tokens the
/// template may print.
/// </summary>
public sealed record ChatTemplateConfig
{
    public IReadOnlyDictionary<string, string> Templates { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public string? BosToken { get; init; }

    public string? EosToken { get; init; }

    public static ChatTemplateConfig FromTokenizerConfig(JsonElement config)
    {
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        if (config.TryGetProperty("chat_template", out JsonElement template))
        {
            if (template.ValueKind == JsonValueKind.String)
            {
                templates["default"] = template.GetString()!;
            }
            else if (template.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement entry in template.EnumerateArray())
                {
                    if (entry.TryGetProperty("name", out JsonElement name) && entry.TryGetProperty("template", out JsonElement text)
                        && name.ValueKind == JsonValueKind.String && text.ValueKind == JsonValueKind.String)
                    {
                        templates[name.GetString()!] = text.GetString()!;
                    }
                }
            }
        }

        return new ChatTemplateConfig
        {
            Templates = templates,
            BosToken = SpecialToken(config, "bos_token"),
            EosToken = SpecialToken(config, "eos_token"),
        };
    }

    /// <summary>
    /// transformers' choice: the named template if asked for, else "tool_use" when tools are given and it
    /// exists, else "default"; null when the config has no chat template at all.
    /// </summary>
    public string? SelectTemplate(string? name = null, bool hasTools = false)
    {
        if (name is not null)
        {
            return Templates.TryGetValue(name, out string? named) ? named : null;
        }

        if (hasTools && Templates.TryGetValue("tool_use", out string? toolUse))
        {
            return toolUse;
        }

        return Templates.TryGetValue("default", out string? fallback) ? fallback : null;
    }

    /// <summary>Special tokens are either a string or a serialized AddedToken object with "content".</summary>
    private static string? SpecialToken(JsonElement config, string key)
    {
        if (!config.TryGetProperty(key, out JsonElement token))
        {
            return null;
        }

        return token.ValueKind switch
        {
            JsonValueKind.String => token.GetString(),
            JsonValueKind.Object when token.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String => content.GetString(),
            _ => null,
        };
    }
}
