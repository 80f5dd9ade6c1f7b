using System.Text.Json;
using LlmServe.ChatTemplates;
using LlmServe.Tokenization;

namespace LlmServe.Tokenizer;

/// <summary>One model's tokenizer files, loaded once: the encoder, its chat template and its context limit.</summary>
public sealed class ModelTokenizer
{
    private ModelTokenizer(HfTokenizer tokenizer, TokenizerConfig config, ChatTemplate? chatTemplate, int maxModelLen)
    {
        Tokenizer = tokenizer;
        Config = config;
        ChatTemplate = chatTemplate;
        MaxModelLen = maxModelLen;
    }

    public HfTokenizer Tokenizer { get; }

    public TokenizerConfig Config { get; }

    public ChatTemplate? ChatTemplate { get; }

    public int MaxModelLen { get; }

    public string? BosToken => Config.BosToken;

    public string? EosToken => Config.EosToken;

    /// <summary>Loads tokenizer.json, tokenizer_config.json and the context limit from a model directory.</summary>
    /// <param name="maxModelLenOverride">0 reads max_position_embeddings from config.json.</param>
    public static ModelTokenizer Load(string modelDirectory, int maxModelLenOverride = 0)
    {
        var tokenizer = HfTokenizer.LoadFromDirectory(modelDirectory);
        string configPath = Path.Combine(modelDirectory, "tokenizer_config.json");
        var config = File.Exists(configPath) ? TokenizerConfig.Load(configPath) : new TokenizerConfig();
        var template = string.IsNullOrEmpty(config.ChatTemplate) ? null : ChatTemplate.Parse(config.ChatTemplate);
        int maxLen = maxModelLenOverride > 0 ? maxModelLenOverride : ReadMaxPositionEmbeddings(modelDirectory);
        return new ModelTokenizer(tokenizer, config, template, maxLen);
    }

    private static int ReadMaxPositionEmbeddings(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, "config.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"config.json not found in '{modelDirectory}'; set Tokenizer:MaxModelLen to run without it.", path);
        }
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (doc.RootElement.TryGetProperty("max_position_embeddings", out var value) && value.TryGetInt32(out int n) && n > 0)
        {
            return n;
        }
        throw new InvalidDataException($"'{path}' has no positive max_position_embeddings; set Tokenizer:MaxModelLen.");
    }
}
