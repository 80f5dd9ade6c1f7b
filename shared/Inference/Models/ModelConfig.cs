namespace LlmServe.Inference.Models;

/// <summary>The architecture hyper-parameters of a model, read from config.json by <see cref="ModelConfigReader"/>.</summary>
public sealed record ModelConfig
{
    public required ModelArchitecture Architecture { get; init; }

    /// <summary>The architectures[0] string as written in config.json.</summary>
    public required string ArchitectureName { get; init; }

    public required int VocabSize { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumHeads { get; init; }

    public required int NumKvHeads { get; init; }

    public required int HeadDim { get; init; }

    public required int MaxPositionEmbeddings { get; init; }

    public float RmsNormEps { get; init; } = 1e-6f;

    public double RopeTheta { get; init; } = 10000;

    public RopeScaling RopeScaling { get; init; } = RopeScaling.None;

    /// <summary>lm_head shares embed_tokens (tie_word_embeddings, or lm_head.weight absent from the checkpoint).</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>q/k/v projections carry a bias (always for Qwen2; attention_bias for Llama/Qwen3).</summary>
    public bool QkvBias { get; init; }

    /// <summary>o_proj carries a bias (attention_bias for Llama/Qwen3).</summary>
    public bool OutputBias { get; init; }

    /// <summary>Per-head q_norm/k_norm (Qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>
    /// Attention window when the model uses one (Mistral sliding_window, Qwen2 with use_sliding_window).
    /// We always run full attention and instead cap the context at the window, which is exact: a sequence
    /// never outgrows the window, so the window never cuts anything. Null = no window.
    /// </summary>
    public int? SlidingWindow { get; init; }

    public int? BosTokenId { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Longest context this model can run: max_position_embeddings, capped by the sliding window.</summary>
    public int MaxContextLength => SlidingWindow is int w && w < MaxPositionEmbeddings ? w : MaxPositionEmbeddings;
}
