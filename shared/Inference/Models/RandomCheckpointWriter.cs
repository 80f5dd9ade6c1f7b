using System.Text;
using System.Text.Json;
using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Models;

/// <summary>
/// Writes a random-weight Hugging Face checkpoint directory (config.json, generation_config.json,
/// model.safetensors or shards + index) for tests, demos and benchmarks. Deterministic: each tensor's values
/// depend only on (seed, tensor name), so sharding or dtype do not change the underlying numbers.
/// </summary>
public static class RandomCheckpointWriter
{
    /// <summary>Writes the checkpoint described by <paramref name="spec"/> into <paramref name="directory"/> (created if needed).</summary>
    public static void Write(string directory, TinyModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ModelConfigReader.ConfigFileName), ConfigJson(spec));
        File.WriteAllText(Path.Combine(directory, ModelConfigReader.GenerationConfigFileName), GenerationConfigJson(spec));
        var tensors = Tensors(spec);
        if (spec.Shards == 1)
        {
            SafeTensorsWriter.Write(Path.Combine(directory, WeightStore.SingleFileName), tensors);
            return;
        }

        var groups = SplitEvenly(tensors, spec.Shards);
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int s = 0; s < groups.Count; s++)
        {
            string file = $"model-{s + 1:D5}-of-{groups.Count:D5}.safetensors";
            SafeTensorsWriter.Write(Path.Combine(directory, file), groups[s]);
            foreach (var t in groups[s])
            {
                weightMap[t.Name] = file;
            }
        }

        var index = new
        {
            metadata = new { total_size = tensors.Sum(t => t.ByteLength) },
            weight_map = weightMap,
        };
        File.WriteAllText(Path.Combine(directory, WeightStore.IndexFileName), JsonSerializer.Serialize(index));
    }

    /// <summary>The tensors the spec's architecture has, in Hugging Face naming.</summary>
    public static IReadOnlyList<WritableTensor> Tensors(TinyModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int h = spec.HiddenSize;
        int d = spec.ResolvedHeadDim;
        int q = spec.NumHeads * d;
        int kv = spec.NumKvHeads * d;
        bool qkvBias = spec.Architecture == ModelArchitecture.Qwen2 || spec.AttentionBias;
        bool oBias = spec.Architecture != ModelArchitecture.Qwen2 && spec.AttentionBias;
        var list = new List<WritableTensor>
        {
            Random(spec, "model.embed_tokens.weight", 0, 1, spec.VocabSize, h),
        };
        for (int l = 0; l < spec.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            list.Add(Random(spec, p + "input_layernorm.weight", 1, 0.1f, h));
            list.Add(Random(spec, p + "self_attn.q_proj.weight", 0, spec.WeightStd, q, h));
            list.Add(Random(spec, p + "self_attn.k_proj.weight", 0, spec.WeightStd, kv, h));
            list.Add(Random(spec, p + "self_attn.v_proj.weight", 0, spec.WeightStd, kv, h));
            if (qkvBias)
            {
                list.Add(Random(spec, p + "self_attn.q_proj.bias", 0, 0.1f, q));
                list.Add(Random(spec, p + "self_attn.k_proj.bias", 0, 0.1f, kv));
                list.Add(Random(spec, p + "self_attn.v_proj.bias", 0, 0.1f, kv));
            }

            if (spec.Architecture == ModelArchitecture.Qwen3)
            {
                list.Add(Random(spec, p + "self_attn.q_norm.weight", 1, 0.1f, d));
                list.Add(Random(spec, p + "self_attn.k_norm.weight", 1, 0.1f, d));
            }

            list.Add(Random(spec, p + "self_attn.o_proj.weight", 0, spec.WeightStd, h, q));
            if (oBias)
            {
                list.Add(Random(spec, p + "self_attn.o_proj.bias", 0, 0.1f, h));
            }

            list.Add(Random(spec, p + "post_attention_layernorm.weight", 1, 0.1f, h));
            list.Add(Random(spec, p + "mlp.gate_proj.weight", 0, spec.WeightStd, spec.IntermediateSize, h));
            list.Add(Random(spec, p + "mlp.up_proj.weight", 0, spec.WeightStd, spec.IntermediateSize, h));
            list.Add(Random(spec, p + "mlp.down_proj.weight", 0, spec.WeightStd, h, spec.IntermediateSize));
        }

        list.Add(Random(spec, "model.norm.weight", 1, 0.1f, h));
        if (!spec.TieWordEmbeddings)
        {
            list.Add(Random(spec, "lm_head.weight", 0, spec.WeightStd, spec.VocabSize, h));
        }

        return list;
    }

    /// <summary>config.json text for <paramref name="spec"/>.</summary>
    public static string ConfigJson(TinyModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (archName, modelType) = spec.Architecture switch
        {
            ModelArchitecture.Qwen2 => ("Qwen2ForCausalLM", "qwen2"),
            ModelArchitecture.Qwen3 => ("Qwen3ForCausalLM", "qwen3"),
            ModelArchitecture.Mistral => ("MistralForCausalLM", "mistral"),
            _ => ("LlamaForCausalLM", "llama"),
        };
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("architectures");
            json.WriteStringValue(archName);
            json.WriteEndArray();
            json.WriteString("model_type", modelType);
            json.WriteNumber("vocab_size", spec.VocabSize);
            json.WriteNumber("hidden_size", spec.HiddenSize);
            json.WriteNumber("intermediate_size", spec.IntermediateSize);
            json.WriteNumber("num_hidden_layers", spec.NumLayers);
            json.WriteNumber("num_attention_heads", spec.NumHeads);
            json.WriteNumber("num_key_value_heads", spec.NumKvHeads);
            json.WriteNumber("head_dim", spec.ResolvedHeadDim);
            json.WriteNumber("max_position_embeddings", spec.MaxPositionEmbeddings);
            json.WriteNumber("rms_norm_eps", spec.RmsNormEps);
            json.WriteString("hidden_act", "silu");
            json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
            json.WriteBoolean("attention_bias", spec.AttentionBias);
            json.WriteNumber("bos_token_id", spec.BosTokenId);
            WriteIds(json, "eos_token_id", spec.EosTokenIds);
            json.WriteString("torch_dtype", spec.DType switch { TensorDType.BF16 => "bfloat16", TensorDType.F16 => "float16", _ => "float32" });
            if (spec.Architecture == ModelArchitecture.Mistral)
            {
                WriteNullableInt(json, "sliding_window", spec.SlidingWindow);
            }
            else if (spec.Architecture is ModelArchitecture.Qwen2 or ModelArchitecture.Qwen3)
            {
                json.WriteBoolean("use_sliding_window", false);
                json.WriteNull("sliding_window");
            }

            if (spec.ConfigStyle == ConfigStyle.RopeParameters)
            {
                json.WriteStartObject("rope_parameters");
                json.WriteNumber("rope_theta", spec.RopeTheta);
                WriteScaling(json, spec.RopeScaling);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNumber("rope_theta", spec.RopeTheta);
                if (spec.RopeScaling is null or { Type: "default" })
                {
                    json.WriteNull("rope_scaling");
                }
                else
                {
                    json.WriteStartObject("rope_scaling");
                    WriteScaling(json, spec.RopeScaling);
                    json.WriteEndObject();
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string GenerationConfigJson(TinyModelSpec spec)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("bos_token_id", spec.BosTokenId);
            WriteIds(json, "eos_token_id", spec.EosTokenIds);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteScaling(Utf8JsonWriter json, RopeScaling? scaling)
    {
        if (scaling is null || scaling.Type == "default")
        {
            json.WriteString("rope_type", "default");
            return;
        }

        json.WriteString("rope_type", scaling.Type);
        json.WriteNumber("factor", scaling.Factor);
        if (scaling.Type == "llama3")
        {
            json.WriteNumber("low_freq_factor", scaling.LowFreqFactor);
            json.WriteNumber("high_freq_factor", scaling.HighFreqFactor);
            json.WriteNumber("original_max_position_embeddings", scaling.OriginalMaxPositionEmbeddings);
        }
    }

    private static void WriteIds(Utf8JsonWriter json, string name, IReadOnlyList<int> ids)
    {
        if (ids.Count == 1)
        {
            json.WriteNumber(name, ids[0]);
            return;
        }

        json.WriteStartArray(name);
        foreach (int id in ids)
        {
            json.WriteNumberValue(id);
        }

        json.WriteEndArray();
    }

    private static void WriteNullableInt(Utf8JsonWriter json, string name, int? value)
    {
        if (value is int v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static WritableTensor Random(TinyModelSpec spec, string name, float mean, float std, params int[] shape)
    {
        ulong seed = spec.Seed ^ Fnv1a(name);
        return new WritableTensor(name, spec.DType, shape, values => new SplitMix64(seed).FillNormal(values, mean, std));
    }

    private static ulong Fnv1a(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    private static List<List<WritableTensor>> SplitEvenly(IReadOnlyList<WritableTensor> tensors, int shards)
    {
        long total = tensors.Sum(t => t.ByteLength);
        long target = (total + shards - 1) / shards;
        var groups = new List<List<WritableTensor>> { new() };
        long current = 0;
        foreach (var t in tensors)
        {
            if (current >= target && groups.Count < shards)
            {
                groups.Add([]);
                current = 0;
            }

            groups[^1].Add(t);
            current += t.ByteLength;
        }

        return groups;
    }
}
