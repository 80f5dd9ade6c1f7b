namespace LlmServe.Inference.Models;

/// <summary>generation_config.json: end-of-sequence ids and the model's default sampling settings.</summary>
public sealed record GenerationConfig
{
    public static GenerationConfig Empty { get; } = new();

    /// <summary>eos_token_id (an int or a list in the file).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    public int? BosTokenId { get; init; }

    public bool? DoSample { get; init; }

    public float? Temperature { get; init; }

    public float? TopP { get; init; }

    public int? TopK { get; init; }

    public float? RepetitionPenalty { get; init; }

    public int? MaxNewTokens { get; init; }
}
