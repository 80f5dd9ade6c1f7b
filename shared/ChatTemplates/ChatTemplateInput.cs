namespace LlmServe.ChatTemplates;

/// <summary>
/// What transformers' apply_chat_template passes to a template: <c>messages</c>, <c>tools</c> (None when
/// absent), <c>documents</c>, <c>add_generation_prompt</c>, the special tokens, then the
/// chat_template_kwargs, which override the rest.
/// </summary>
public sealed record ChatTemplateInput
{
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>The tools array (JsonElement, JsonNode or CLR lists/dictionaries); null renders as <c>tools=None</c>.</summary>
    public object? Tools { get; init; }

    /// <summary>RAG documents for templates that read <c>documents</c>; null renders as None.</summary>
    public object? Documents { get; init; }

    public bool AddGenerationPrompt { get; init; }

    /// <summary>Left undefined when null, as transformers omits unset special tokens.</summary>
    public string? BosToken { get; init; }

    public string? EosToken { get; init; }

    /// <summary>chat_template_kwargs such as <c>enable_thinking</c>; values may be CLR values, JsonElement or JsonNode.</summary>
    public IReadOnlyDictionary<string, object?>? Extra { get; init; }

    /// <summary>The clock behind <c>strftime_now</c> (local time, like Python's datetime.now()); defaults to the system clock.</summary>
    public TimeProvider? Clock { get; init; }
}
