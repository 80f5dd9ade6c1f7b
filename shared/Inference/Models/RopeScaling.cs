namespace LlmServe.Inference.Models;

/// <summary>How RoPE frequencies are derived: rope_type default, linear (positions ÷ factor) or llama3 (frequency-band scaling).</summary>
public sealed record RopeScaling
{
    public static RopeScaling None { get; } = new();

    /// <summary>"default", "linear" or "llama3".</summary>
    public string Type { get; init; } = "default";

    public double Factor { get; init; } = 1;

    public double LowFreqFactor { get; init; } = 1;

    public double HighFreqFactor { get; init; } = 4;

    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;
}
