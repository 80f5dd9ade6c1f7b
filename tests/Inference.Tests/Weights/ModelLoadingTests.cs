using System.Buffers.Binary;
using System.Text;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.Inference.Tests.Support;
using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Tests.Weights;

/// <summary>Loading model directories: sharding, config forms, tied embeddings, dtypes and clear errors.</summary>
public sealed class ModelLoadingTests
{
    private static readonly int[] Tokens = [1, 17, 99, 4, 250, 33, 8, 61, 200, 5, 12, 140];

    [Fact]
    public void Sharded_checkpoint_gives_the_same_logits_as_one_file()
    {
        var spec = TinyModelSpec.For(ModelArchitecture.Llama, seed: 21);
        using var single = new TempModel(spec);
        using var sharded = new TempModel(spec with { Shards = 3 });
        Assert.True(File.Exists(Path.Combine(sharded.Directory, WeightStore.IndexFileName)));
        Assert.Equal(3, Directory.GetFiles(sharded.Directory, "*.safetensors").Length);
        Assert.False(File.Exists(Path.Combine(sharded.Directory, WeightStore.SingleFileName)));
        LogitAssert.Close(Logits(single.Directory), Logits(sharded.Directory), 1e-5, "sharded");
    }

    [Fact]
    public void Rope_parameters_and_rope_scaling_forms_read_the_same()
    {
        var scaling = new RopeScaling { Type = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 32 };
        var spec = TinyModelSpec.For(ModelArchitecture.Llama, seed: 22) with { RopeTheta = 500000, RopeScaling = scaling };
        using var v5 = new TempModel(spec with { ConfigStyle = ConfigStyle.RopeParameters });
        using var v4 = new TempModel(spec with { ConfigStyle = ConfigStyle.RopeThetaAndScaling });
        Assert.Contains("rope_parameters", File.ReadAllText(Path.Combine(v5.Directory, "config.json")), StringComparison.Ordinal);
        Assert.Contains("rope_scaling", File.ReadAllText(Path.Combine(v4.Directory, "config.json")), StringComparison.Ordinal);
        var c5 = ModelConfigReader.ReadModelConfig(v5.Directory);
        var c4 = ModelConfigReader.ReadModelConfig(v4.Directory);
        Assert.Equal(c5.RopeScaling, c4.RopeScaling);
        Assert.Equal(500000, c4.RopeTheta);
        Assert.Equal("llama3", c4.RopeScaling.Type);
        LogitAssert.Close(Logits(v5.Directory), Logits(v4.Directory), 1e-5, "config forms");
    }

    [Fact]
    public void Published_config_with_legacy_type_key_and_linear_scaling_parses()
    {
        var json = """
            {"architectures":["LlamaForCausalLM"],"vocab_size":32,"hidden_size":16,"intermediate_size":32,
             "num_hidden_layers":1,"num_attention_heads":2,"rope_theta":1000.0,
             "rope_scaling":{"type":"linear","factor":2.0},"eos_token_id":[5,6]}
            """;
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var config = ModelConfigReader.ParseModelConfig(doc.RootElement);
        Assert.Equal("linear", config.RopeScaling.Type);
        Assert.Equal(2.0, config.RopeScaling.Factor);
        Assert.Equal(2, config.NumKvHeads);
        Assert.Equal(8, config.HeadDim);
        Assert.Equal([5, 6], config.EosTokenIds);
        var inv = RotaryEmbedding.InverseFrequencies(config);
        Assert.Equal(0.5f, inv[0], 6);
    }

    [Fact]
    public void Tied_embeddings_load_without_lm_head_and_untied_missing_lm_head_falls_back()
    {
        var spec = TinyModelSpec.For(ModelArchitecture.Llama, seed: 23) with { TieWordEmbeddings = true };
        using var tied = new TempModel(spec);
        using (var store = WeightStore.Open(tied.Directory))
        {
            Assert.False(store.Contains("lm_head.weight"));
        }

        var logits = Logits(tied.Directory);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));

        // Same weights, config says untied, but lm_head.weight is absent: the embedding serves as lm-head.
        File.WriteAllText(Path.Combine(tied.Directory, "config.json"), RandomCheckpointWriter.ConfigJson(spec with { TieWordEmbeddings = false }));
        LogitAssert.Close(logits, Logits(tied.Directory), 1e-5, "implicit tie");
    }

    [Theory]
    [InlineData(TensorDType.BF16)]
    [InlineData(TensorDType.F16)]
    public void Half_precision_checkpoints_load_close_to_fp32(TensorDType dtype)
    {
        var spec = TinyModelSpec.For(ModelArchitecture.Qwen3, seed: 24);
        using var f32 = new TempModel(spec);
        using var half = new TempModel(spec with { DType = dtype });
        using (var store = WeightStore.Open(half.Directory))
        {
            Assert.True(store.TryGet("model.embed_tokens.weight", out var view));
            Assert.Equal(dtype, view.DType);
        }

        LogitAssert.CloseToScale(Logits(f32.Directory), Logits(half.Directory), 5e-2, dtype.ToString());
    }

    [Fact]
    public void Generation_config_reads_eos_lists_and_defaults()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Llama) with { EosTokenIds = [2, 7] });
        File.WriteAllText(
            Path.Combine(tmp.Directory, "generation_config.json"),
            """{"eos_token_id":[2,7,9],"bos_token_id":1,"do_sample":true,"temperature":0.6,"top_p":0.9}""");
        var generation = ModelConfigReader.ReadGenerationConfig(tmp.Directory);
        Assert.Equal([2, 7, 9], generation.EosTokenIds);
        Assert.Equal(0.6f, generation.Temperature);
        Assert.Equal(0.9f, generation.TopP);
        Assert.True(generation.DoSample);
        using var model = LlamaModel.Load(tmp.Directory, new CpuBackend());
        Assert.Equal([2, 7, 9], model.EosTokenIds);
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        var spec = TinyModelSpec.For(ModelArchitecture.Qwen2);
        using var tmp = new TempModel(spec);
        var tensors = RandomCheckpointWriter.Tensors(spec).Where(t => t.Name != "model.layers.1.self_attn.k_proj.bias").ToArray();
        SafeTensorsWriter.Write(Path.Combine(tmp.Directory, WeightStore.SingleFileName), tensors);
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(tmp.Directory, new CpuBackend()));
        Assert.Contains("model.layers.1.self_attn.k_proj.bias", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_shape_is_named_with_both_shapes()
    {
        var spec = TinyModelSpec.For(ModelArchitecture.Llama);
        using var tmp = new TempModel(spec);
        var tensors = RandomCheckpointWriter.Tensors(spec)
            .Select(t => t.Name == "model.layers.0.mlp.up_proj.weight" ? t with { Shape = [100, 64] } : t).ToArray();
        SafeTensorsWriter.Write(Path.Combine(tmp.Directory, WeightStore.SingleFileName), tensors);
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(tmp.Directory, new CpuBackend()));
        Assert.Contains("model.layers.0.mlp.up_proj.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("[100,64]", e.Message, StringComparison.Ordinal);
        Assert.Contains("[128,64]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_dtype_is_named()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Llama));
        var header = Encoding.UTF8.GetBytes("""{"model.norm.weight":{"dtype":"I8","shape":[4],"data_offsets":[0,4]}}""");
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(Path.Combine(tmp.Directory, WeightStore.SingleFileName), bytes);
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(tmp.Directory, new CpuBackend()));
        Assert.Contains("I8", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.norm.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_architecture_and_rope_type_are_named()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Llama));
        var path = Path.Combine(tmp.Directory, "config.json");
        var original = File.ReadAllText(path);
        File.WriteAllText(path, original.Replace("LlamaForCausalLM", "GPT2LMHeadModel", StringComparison.Ordinal));
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(tmp.Directory, new CpuBackend()));
        Assert.Contains("GPT2LMHeadModel", e.Message, StringComparison.Ordinal);

        File.WriteAllText(path, original.Replace("\"default\"", "\"yarn\"", StringComparison.Ordinal));
        e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(tmp.Directory, new CpuBackend()));
        Assert.Contains("yarn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_directory_or_config_fails_clearly()
    {
        var missing = Path.Combine(Path.GetTempPath(), "llmserve-no-such-model");
        Assert.Throws<ModelLoadException>(() => LlamaModel.Load(missing, new CpuBackend()));
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Llama));
        File.Delete(Path.Combine(tmp.Directory, "config.json"));
        var e = Assert.Throws<ModelLoadException>(() => LlamaModel.Load(tmp.Directory, new CpuBackend()));
        Assert.Contains("config.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mistral_sliding_window_caps_the_context()
    {
        using var tmp = new TempModel(TinyModelSpec.For(ModelArchitecture.Mistral) with { SlidingWindow = 100, MaxPositionEmbeddings = 4096 });
        using var model = LlamaModel.Load(tmp.Directory, new CpuBackend());
        Assert.Equal(100, model.Config.SlidingWindow);
        Assert.Equal(100, model.MaxModelLength);
    }

    [Fact]
    public void Random_checkpoints_are_deterministic_per_seed()
    {
        var spec = TinyModelSpec.For(ModelArchitecture.Llama, seed: 5);
        using var a = new TempModel(spec);
        using var b = new TempModel(spec);
        using var c = new TempModel(spec with { Seed = 6 });
        var bytesA = File.ReadAllBytes(Path.Combine(a.Directory, WeightStore.SingleFileName));
        Assert.Equal(bytesA, File.ReadAllBytes(Path.Combine(b.Directory, WeightStore.SingleFileName)));
        Assert.NotEqual(bytesA, File.ReadAllBytes(Path.Combine(c.Directory, WeightStore.SingleFileName)));
    }

    private static float[] Logits(string dir)
    {
        using var model = LlamaModel.Load(dir, new CpuBackend(), new ModelLoadOptions { MaxBatchTokens = 32, MaxSeqs = 2 });
        using var cache = model.AllocateKvCache(4);
        return new ModelRunner(model, cache).Prefill(Tokens, [0], Tokens.Length);
    }
}
