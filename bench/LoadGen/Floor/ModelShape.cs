using System.Text.Json;

namespace LlmServe.LoadGen.Floor;

/// <summary>The dimensions of a Llama-family decoder that set its FLOPs and bytes per token.</summary>
public sealed record ModelShape(int Layers, int Hidden, int Intermediate, int Heads, int KvHeads, int HeadDim, int Vocab, int BytesPerParameter)
{
    /// <summary>Llama-3.1-8B in bf16.</summary>
    public static ModelShape Llama31_8B { get; } = new(32, 4096, 14336, 32, 8, 128, 128256, 2);

    /// <summary>Parameters of every layer's matrix products (q, k, v, o, gate, up, down): each prompt token uses each once.</summary>
    public long LayerMatmulParameters =>
        (long)Layers * (((long)Hidden * Heads * HeadDim * 2) + ((long)Hidden * KvHeads * HeadDim * 2) + (3L * Hidden * Intermediate));

    /// <summary>Parameters of the LM head (used for one row per request in prefill, every row in decode).</summary>
    public long LmHeadParameters => (long)Vocab * Hidden;

    /// <summary>Bytes of K and V one token keeps in the cache, all layers.</summary>
    public long KvBytesPerToken => 2L * Layers * KvHeads * HeadDim * BytesPerParameter;

    /// <summary>Reads a Hugging Face config.json (a file or a model directory holding one).</summary>
    public static ModelShape FromConfig(string path)
    {
        if (Directory.Exists(path))
        {
            path = Path.Combine(path, "config.json");
        }
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var c = doc.RootElement;
        int Int(string name) => c.GetProperty(name).GetInt32();
        int hidden = Int("hidden_size");
        int heads = Int("num_attention_heads");
        int kvHeads = c.TryGetProperty("num_key_value_heads", out var kv) && kv.ValueKind == JsonValueKind.Number ? kv.GetInt32() : heads;
        int headDim = c.TryGetProperty("head_dim", out var hd) && hd.ValueKind == JsonValueKind.Number ? hd.GetInt32() : hidden / heads;
        string dtype = c.TryGetProperty("torch_dtype", out var dt) && dt.ValueKind == JsonValueKind.String ? dt.GetString()!
            : c.TryGetProperty("dtype", out var dt2) && dt2.ValueKind == JsonValueKind.String ? dt2.GetString()! : "bfloat16";
        int bytes = dtype switch { "float32" => 4, _ => 2 };
        return new ModelShape(Int("num_hidden_layers"), hidden, Int("intermediate_size"), heads, kvHeads, headDim, Int("vocab_size"), bytes);
    }
}
