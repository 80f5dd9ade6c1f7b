namespace LlmServe.ChatTemplates;

/// <summary>One element of an array-valued message content: <c>{"type": "text", "text": "..."}</c>, <c>{"type": "image"}</c>...</summary>
public sealed record ChatContentPart
{
    public required string Type { get; init; }

    public string? Text { get; init; }

    /// <summary>Further keys (e.g. <c>image_url</c>); values may be CLR values, JsonElement or JsonNode.</summary>
    public IReadOnlyDictionary<string, object?>? Extra { get; init; }

    public static ChatContentPart FromText(string text) => new() { Type = "text", Text = text };
}
