using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Models;

/// <summary>
/// What <see cref="RandomCheckpointWriter"/> writes: architecture, sizes, dtype, seed, sharding. Defaults give a
/// ~100k-parameter model that loads in milliseconds; override sizes for benchmarks, or VocabSize to match a
/// real tokenizer in end-to-end tests.
/// </summary>
public sealed record TinyModelSpec
{
    public ModelArchitecture Architecture { get; init; } = ModelArchitecture.Llama;

    public TensorDType DType { get; init; } = TensorDType.F32;

    public ulong Seed { get; init; } = 1;

    public int VocabSize { get; init; } = 256;

    public int HiddenSize { get; init; } = 64;

    public int IntermediateSize { get; init; } = 128;

    public int NumLayers { get; init; } = 2;

    public int NumHeads { get; init; } = 4;

    public int NumKvHeads { get; init; } = 2;

    /// <summary>Explicit head_dim; null = HiddenSize / NumHeads (Qwen3 presets set it explicitly).</summary>
    public int? HeadDim { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;

    public double RopeTheta { get; init; } = 10000;

    /// <summary>RoPE scaling to write (e.g. llama3); null = rope_type default.</summary>
    public RopeScaling? RopeScaling { get; init; }

    public float RmsNormEps { get; init; } = 1e-5f;

    public bool TieWordEmbeddings { get; init; }

    /// <summary>Llama/Qwen3 attention_bias (Qwen2 always has q/k/v bias).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>Mistral sliding_window (null writes null).</summary>
    public int? SlidingWindow { get; init; }

    public int BosTokenId { get; init; } = 1;

    public IReadOnlyList<int> EosTokenIds { get; init; } = [2];

    /// <summary>safetensors files to split the weights over (more than 1 writes model.safetensors.index.json).</summary>
    public int Shards { get; init; } = 1;

    public ConfigStyle ConfigStyle { get; init; } = ConfigStyle.RopeParameters;

    /// <summary>Standard deviation of projection weights (embeddings use 1, norms 1 ± 0.1).</summary>
    public float WeightStd { get; init; } = 0.1f;

    public int ResolvedHeadDim => HeadDim ?? (HiddenSize / NumHeads);

    /// <summary>A small preset per architecture with each family's quirks switched on (Qwen2 bias, Qwen3 head_dim + tied embeddings).</summary>
    public static TinyModelSpec For(ModelArchitecture architecture, TensorDType dtype = TensorDType.F32, ulong seed = 1) => architecture switch
    {
        ModelArchitecture.Qwen2 => new TinyModelSpec { Architecture = architecture, DType = dtype, Seed = seed, RopeTheta = 1_000_000 },
        ModelArchitecture.Qwen3 => new TinyModelSpec { Architecture = architecture, DType = dtype, Seed = seed, HeadDim = 32, TieWordEmbeddings = true, RopeTheta = 1_000_000 },
        _ => new TinyModelSpec { Architecture = architecture, DType = dtype, Seed = seed },
    };

    /// <summary>Approximate parameter count (embedding, layers, norms, lm-head unless tied).</summary>
    public long ParameterCount
    {
        get
        {
            long d = ResolvedHeadDim;
            long q = NumHeads * d;
            long kv = NumKvHeads * d;
            long layer = (HiddenSize * (q + (2 * kv))) + (q * HiddenSize) + (3L * HiddenSize * IntermediateSize) + (2L * HiddenSize);
            long embed = (long)VocabSize * HiddenSize;
            return embed + (NumLayers * layer) + HiddenSize + (TieWordEmbeddings ? 0 : embed);
        }
    }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(VocabSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(HiddenSize, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(NumLayers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(NumHeads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(NumKvHeads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Shards, 1);
        if (NumHeads % NumKvHeads != 0)
        {
            throw new ArgumentException($"NumHeads {NumHeads} must be a multiple of NumKvHeads {NumKvHeads}");
        }

        if (ResolvedHeadDim % 2 != 0)
        {
            throw new ArgumentException($"head dim {ResolvedHeadDim} must be even");
        }
    }
}
