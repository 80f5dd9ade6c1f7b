namespace LlmServe.ChatTemplates;

/// <summary>
/// One chat message as the template sees it (a dict with <c>role</c>, <c>content</c> and, only when set,
/// <c>name</c>, <c>tool_calls</c>, <c>tool_call_id</c>, <c>reasoning_content</c> and <see cref="Extra"/> keys:
/// templates test <c>message.reasoning_content is defined</c>, so unset keys stay undefined).
/// </summary>
public sealed record ChatMessage
{
    public required string Role { get; init; }

    /// <summary>Text content; null renders as Python None unless <see cref="ContentParts"/> is set.</summary>
    public string? Content { get; init; }

    /// <summary>Array content (multimodal style); takes precedence over <see cref="Content"/>.</summary>
    public IReadOnlyList<ChatContentPart>? ContentParts { get; init; }

    public string? Name { get; init; }

    /// <summary>The OpenAI <c>tool_calls</c> array as JsonElement, JsonNode or CLR lists/dictionaries, passed through as is.</summary>
    public object? ToolCalls { get; init; }

    public string? ToolCallId { get; init; }

    public string? ReasoningContent { get; init; }

    /// <summary>Any further keys the template reads; values may be CLR values, JsonElement or JsonNode.</summary>
    public IReadOnlyDictionary<string, object?>? Extra { get; init; }

    public static ChatMessage System(string content) => new() { Role = "system", Content = content };

    public static ChatMessage User(string content) => new() { Role = "user", Content = content };

    public static ChatMessage Assistant(string content) => new() { Role = "assistant", Content = content };
}
