using System.Text.Json;

namespace LlmServe.Inference.Models;

/// <summary>
/// Reads config.json and generation_config.json. RoPE settings come in two forms: the published
/// <c>rope_theta</c> + <c>rope_scaling</c> (transformers 4) and <c>rope_parameters</c> (transformers 5); both
/// are accepted, with rope_type default, linear or llama3.
/// </summary>
public static class ModelConfigReader
{
    public const string ConfigFileName = "config.json";
    public const string GenerationConfigFileName = "generation_config.json";

    /// <summary>Reads <c>config.json</c> from <paramref name="modelDirectory"/>.</summary>
    public static ModelConfig ReadModelConfig(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, ConfigFileName);
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{ConfigFileName} not found in {modelDirectory}");
        }

        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            return ParseModelConfig(json.RootElement);
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads <c>generation_config.json</c>, or <see cref="GenerationConfig.Empty"/> when the file is absent.</summary>
    public static GenerationConfig ReadGenerationConfig(string modelDirectory)
    {
        var path = Path.Combine(modelDirectory, GenerationConfigFileName);
        if (!File.Exists(path))
        {
            return GenerationConfig.Empty;
        }

        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = json.RootElement;
            return new GenerationConfig
            {
                EosTokenIds = IntOrList(root, "eos_token_id"),
                BosTokenId = OptionalInt(root, "bos_token_id"),
                DoSample = root.TryGetProperty("do_sample", out var ds) && ds.ValueKind is JsonValueKind.True or JsonValueKind.False ? ds.GetBoolean() : null,
                Temperature = OptionalFloat(root, "temperature"),
                TopP = OptionalFloat(root, "top_p"),
                TopK = OptionalInt(root, "top_k"),
                RepetitionPenalty = OptionalFloat(root, "repetition_penalty"),
                MaxNewTokens = OptionalInt(root, "max_new_tokens"),
            };
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path}: {e.Message}", e);
        }
    }

    public static ModelConfig ParseModelConfig(JsonElement root)
    {
        string archName = root.TryGetProperty("architectures", out var archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0
            ? archs[0].GetString() ?? string.Empty
            : throw new ModelLoadException("config.json has no architectures list");
        var arch = archName switch
        {
            "LlamaForCausalLM" => ModelArchitecture.Llama,
            "Qwen2ForCausalLM" => ModelArchitecture.Qwen2,
            "Qwen3ForCausalLM" => ModelArchitecture.Qwen3,
            "MistralForCausalLM" => ModelArchitecture.Mistral,
            _ => throw new ModelLoadException($"unsupported architecture '{archName}' (supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, MistralForCausalLM)"),
        };

        string act = OptionalString(root, "hidden_act") ?? "silu";
        if (act != "silu")
        {
            throw new ModelLoadException($"unsupported hidden_act '{act}' (only silu)");
        }

        if (root.TryGetProperty("mlp_bias", out var mlpBias) && mlpBias.ValueKind == JsonValueKind.True)
        {
            throw new ModelLoadException("mlp_bias = true is not supported");
        }

        int hidden = RequiredInt(root, "hidden_size");
        int heads = RequiredInt(root, "num_attention_heads");
        int kvHeads = OptionalInt(root, "num_key_value_heads") ?? heads;
        int headDim = OptionalInt(root, "head_dim") ?? (hidden / heads);
        if (heads % kvHeads != 0)
        {
            throw new ModelLoadException($"num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        }

        if (headDim % 2 != 0)
        {
            throw new ModelLoadException($"head_dim {headDim} must be even for RoPE");
        }

        bool attentionBias = root.TryGetProperty("attention_bias", out var ab) && ab.ValueKind == JsonValueKind.True;
        var (theta, scaling) = ReadRope(root);
        return new ModelConfig
        {
            Architecture = arch,
            ArchitectureName = archName,
            VocabSize = RequiredInt(root, "vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = RequiredInt(root, "intermediate_size"),
            NumLayers = RequiredInt(root, "num_hidden_layers"),
            NumHeads = heads,
            NumKvHeads = kvHeads,
            HeadDim = headDim,
            MaxPositionEmbeddings = OptionalInt(root, "max_position_embeddings") ?? 2048,
            RmsNormEps = OptionalFloat(root, "rms_norm_eps") ?? 1e-6f,
            RopeTheta = theta,
            RopeScaling = scaling,
            TieWordEmbeddings = root.TryGetProperty("tie_word_embeddings", out var tie) && tie.ValueKind == JsonValueKind.True,
            QkvBias = arch == ModelArchitecture.Qwen2 || attentionBias,
            OutputBias = arch != ModelArchitecture.Qwen2 && attentionBias,
            QkNorm = arch == ModelArchitecture.Qwen3,
            SlidingWindow = ReadSlidingWindow(root, arch),
            BosTokenId = OptionalInt(root, "bos_token_id"),
            EosTokenIds = IntOrList(root, "eos_token_id"),
        };
    }

    private static int? ReadSlidingWindow(JsonElement root, ModelArchitecture arch)
    {
        int? window = OptionalInt(root, "sliding_window");
        if (window is null)
        {
            return null;
        }

        // Qwen2/Qwen3 publish a sliding_window that only applies when use_sliding_window is true.
        bool used = arch == ModelArchitecture.Mistral
            || (root.TryGetProperty("use_sliding_window", out var use) && use.ValueKind == JsonValueKind.True);
        return used ? window : null;
    }

    private static (double Theta, RopeScaling Scaling) ReadRope(JsonElement root)
    {
        JsonElement? parameters = root.TryGetProperty("rope_parameters", out var rp) && rp.ValueKind == JsonValueKind.Object ? rp : null;
        JsonElement? legacy = root.TryGetProperty("rope_scaling", out var rs) && rs.ValueKind == JsonValueKind.Object ? rs : null;
        double theta = (parameters is { } p0 ? OptionalDouble(p0, "rope_theta") : null)
            ?? OptionalDouble(root, "rope_theta")
            ?? 10000;
        var source = parameters ?? legacy;
        if (source is not { } s)
        {
            return (theta, RopeScaling.None);
        }

        string type = OptionalString(s, "rope_type") ?? OptionalString(s, "type") ?? "default";
        switch (type)
        {
            case "default":
                return (theta, RopeScaling.None);
            case "linear":
                return (theta, new RopeScaling { Type = type, Factor = RequiredDouble(s, "factor", "rope scaling") });
            case "llama3":
                return (theta, new RopeScaling
                {
                    Type = type,
                    Factor = RequiredDouble(s, "factor", "llama3 rope scaling"),
                    LowFreqFactor = OptionalDouble(s, "low_freq_factor") ?? 1,
                    HighFreqFactor = OptionalDouble(s, "high_freq_factor") ?? 4,
                    OriginalMaxPositionEmbeddings = OptionalInt(s, "original_max_position_embeddings")
                        ?? throw new ModelLoadException("llama3 rope scaling needs original_max_position_embeddings"),
                });
            default:
                throw new ModelLoadException($"unsupported rope_type '{type}' (supported: default, linear, llama3)");
        }
    }

    private static IReadOnlyList<int> IntOrList(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value))
        {
            return [];
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number => [value.GetInt32()],
            JsonValueKind.Array => value.EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            _ => [],
        };
    }

    private static int RequiredInt(JsonElement root, string name) =>
        OptionalInt(root, name) ?? throw new ModelLoadException($"config.json is missing '{name}'");

    private static double RequiredDouble(JsonElement root, string name, string what) =>
        OptionalDouble(root, name) ?? throw new ModelLoadException($"{what} is missing '{name}'");

    private static int? OptionalInt(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static double? OptionalDouble(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static float? OptionalFloat(JsonElement root, string name) => (float?)OptionalDouble(root, name);

    private static string? OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
