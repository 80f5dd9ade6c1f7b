namespace LlmServe.AllInOne.Generate;

/// <summary>The parsed `generate` options.</summary>
internal sealed record GenerateSettings
{
    public required string ModelDirectory { get; init; }

    /// <summary>Prompts given as token ids (one list per --prompt-ids).</summary>
    public IReadOnlyList<IReadOnlyList<int>> PromptIds { get; init; } = [];

    /// <summary>Prompts given as text (needs a tokenizer.json).</summary>
    public IReadOnlyList<string> Prompts { get; init; } = [];

    /// <summary>tokenizer.json path; null = the model directory's.</summary>
    public string? TokenizerPath { get; init; }

    public string Device { get; init; } = "cpu";

    public int MaxTokens { get; init; } = 16;

    public float? Temperature { get; init; }

    public float? TopP { get; init; }

    public int? TopK { get; init; }

    public ulong? Seed { get; init; }

    public bool IgnoreEos { get; init; }

    public int TopLogprobs { get; init; }

    public int? MaxModelLength { get; init; }

    public int Threads { get; init; }

    public bool Json { get; init; }
}
