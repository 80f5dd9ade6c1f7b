using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmServe.ChatTemplates.Tests;

/// <summary>Builds the typed <see cref="ChatTemplateInput"/> a gateway would build from an OpenAI request body.</summary>
internal static class TypedInput
{
    private static readonly HashSet<string> Known = ["messages", "tools", "documents", "add_generation_prompt", "bos_token", "eos_token"];

    public static ChatTemplateInput From(JsonElement variables)
    {
        var extra = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (JsonProperty p in variables.EnumerateObject())
        {
            if (!Known.Contains(p.Name))
            {
                extra[p.Name] = JsonNode.Parse(p.Value.GetRawText());
            }
        }

        return new ChatTemplateInput
        {
            Messages = variables.GetProperty("messages").EnumerateArray().Select(Message).ToList(),
            Tools = variables.GetProperty("tools").ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(variables.GetProperty("tools").GetRawText()),
            AddGenerationPrompt = variables.GetProperty("add_generation_prompt").GetBoolean(),
            BosToken = variables.TryGetProperty("bos_token", out JsonElement bos) ? bos.GetString() : null,
            EosToken = variables.TryGetProperty("eos_token", out JsonElement eos) ? eos.GetString() : null,
            Extra = extra,
            Clock = FixedClock.FixtureTime,
        };
    }

    private static ChatMessage Message(JsonElement m)
    {
        JsonElement content = m.GetProperty("content");
        var extra = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (JsonProperty p in m.EnumerateObject())
        {
            // Content that is neither text nor parts (e.g. a tool result object) travels as an extra key.
            bool odd = p.Name == "content" && p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Array or JsonValueKind.Null);
            if (odd || p.Name is not ("role" or "content" or "name" or "tool_calls" or "tool_call_id" or "reasoning_content"))
            {
                extra[p.Name] = p.Value.Clone();
            }
        }

        return new ChatMessage
        {
            Role = m.GetProperty("role").GetString()!,
            Content = content.ValueKind == JsonValueKind.String ? content.GetString() : null,
            ContentParts = content.ValueKind == JsonValueKind.Array ? content.EnumerateArray().Select(Part).ToList() : null,
            Name = m.TryGetProperty("name", out JsonElement name) ? name.GetString() : null,
            ToolCalls = m.TryGetProperty("tool_calls", out JsonElement calls) ? calls.Clone() : null,
            ToolCallId = m.TryGetProperty("tool_call_id", out JsonElement id) ? id.GetString() : null,
            ReasoningContent = m.TryGetProperty("reasoning_content", out JsonElement reasoning) ? reasoning.GetString() : null,
            Extra = extra.Count > 0 ? extra : null,
        };
    }

    private static ChatContentPart Part(JsonElement p) => new()
    {
        Type = p.GetProperty("type").GetString()!,
        Text = p.TryGetProperty("text", out JsonElement text) ? text.GetString() : null,
    };
}
