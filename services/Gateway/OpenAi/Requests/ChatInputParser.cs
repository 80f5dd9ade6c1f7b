using System.Text;
using System.Text.Json;
using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Requests;

/// <summary>
/// Reads <c>messages</c> (plus tools, chat_template_kwargs, continue_final_message) into a <see cref="ChatInput"/>
/// for the tokenizer's chat template. Shared by /v1/chat/completions and /tokenize.
/// </summary>
internal static class ChatInputParser
{
    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "system", "user", "assistant", "tool", "developer" };

    public static ChatInput Parse(ParameterReader p)
    {
        if (p.Get("messages") is not { } messages)
        {
            throw ParameterReader.Invalid("'messages' is required.", "messages");
        }
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw ParameterReader.Invalid("'messages' must be a list of message objects.", "messages");
        }
        if (messages.GetArrayLength() == 0)
        {
            throw ParameterReader.Invalid("'messages' must not be empty.", "messages");
        }

        var input = new ChatInput();
        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            input.Messages.Add(ParseMessage(message, index++));
        }

        if (p.Get("tools") is { } tools)
        {
            if (tools.ValueKind != JsonValueKind.Array)
            {
                throw ParameterReader.Invalid("'tools' must be a list of tool objects.", "tools");
            }
            foreach (var tool in tools.EnumerateArray())
            {
                if (tool.ValueKind != JsonValueKind.Object)
                {
                    throw ParameterReader.Invalid("'tools' must be a list of tool objects.", "tools");
                }
            }
            input.ToolsJson = tools.GetRawText();
        }
        if (p.Get("chat_template_kwargs") is { } kwargs)
        {
            if (kwargs.ValueKind != JsonValueKind.Object)
            {
                throw ParameterReader.Invalid("'chat_template_kwargs' must be an object.", "chat_template_kwargs");
            }
            input.ChatTemplateKwargsJson = kwargs.GetRawText();
        }
        input.ContinueFinalMessage = p.Bool("continue_final_message", false);
        return input;
    }

    private static ChatMessage ParseMessage(JsonElement message, int index)
    {
        string param = $"messages[{index}]";
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw ParameterReader.Invalid($"'{param}' must be an object.", param);
        }
        var m = new ParameterReader(message);
        string role = m.Get("role") is { } r ? ParameterReader.AsString(r, param + ".role")
            : throw ParameterReader.Invalid($"'{param}.role' is required.", param + ".role");
        if (!Roles.Contains(role))
        {
            throw ParameterReader.Invalid(
                $"'{param}.role' must be one of system, user, assistant, tool, developer; got '{Truncate(role)}'.", param + ".role");
        }

        var result = new ChatMessage { Role = role };
        if (m.Get("tool_calls") is { } toolCalls)
        {
            if (toolCalls.ValueKind != JsonValueKind.Array)
            {
                throw ParameterReader.Invalid($"'{param}.tool_calls' must be a list.", param + ".tool_calls");
            }
            result.ToolCallsJson = toolCalls.GetRawText();
        }

        if (m.Get("content") is { } content)
        {
            result.Content = ReadContent(content, param + ".content");
        }
        else if (role != "assistant")
        {
            // Only an assistant turn (typically one that made tool calls) may come without content.
            throw ParameterReader.Invalid($"'{param}.content' is required for role '{role}'.", param + ".content");
        }

        if (m.Get("name") is { } name)
        {
            result.Name = ParameterReader.AsString(name, param + ".name");
        }
        if (m.Get("tool_call_id") is { } toolCallId)
        {
            result.ToolCallId = ParameterReader.AsString(toolCallId, param + ".tool_call_id");
        }
        if ((m.Get("reasoning_content") ?? m.Get("reasoning")) is { } reasoning)
        {
            result.ReasoningContent = ParameterReader.AsString(reasoning, param + ".reasoning_content");
        }
        return result;
    }

    /// <summary>A string, or a list of text parts joined with newlines as vLLM does.</summary>
    private static string ReadContent(JsonElement content, string param)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            throw ParameterReader.Invalid($"'{param}' must be a string or a list of content parts.", param);
        }
        var sb = new StringBuilder();
        int i = 0;
        foreach (var part in content.EnumerateArray())
        {
            string partParam = $"{param}[{i++}]";
            if (part.ValueKind != JsonValueKind.Object)
            {
                throw ParameterReader.Invalid($"'{partParam}' must be a content part object.", partParam);
            }
            var pr = new ParameterReader(part);
            string type = pr.Get("type") is { } t ? ParameterReader.AsString(t, partParam + ".type")
                : throw ParameterReader.Invalid($"'{partParam}.type' is required.", partParam + ".type");
            if (type is not ("text" or "input_text"))
            {
                throw ParameterReader.Invalid($"Content parts of type '{Truncate(type)}' are not supported; only 'text'.", partParam + ".type");
            }
            string text = pr.Get("text") is { } x ? ParameterReader.AsString(x, partParam + ".text")
                : throw ParameterReader.Invalid($"'{partParam}.text' is required.", partParam + ".text");
            if (sb.Length > 0)
            {
                sb.Append('\n');
            }
            sb.Append(text);
        }
        return sb.ToString();
    }

    private static string Truncate(string s) => s.Length <= 32 ? s : s[..32] + "…";
}
