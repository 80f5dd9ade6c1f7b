using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmServe.ChatTemplates.Runtime;
using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Input;

/// <summary>
/// Turns caller values (CLR primitives, dictionaries, lists, System.Text.Json elements and nodes, the typed
/// chat input) into the template value model, the way json.loads would have produced them in Python.
/// </summary>
internal static class ValueConverter
{
    public static object? ToValue(object? value) => value switch
    {
        null => null,
        string or bool or long or double => value,
        int i => (long)i,
        short s => (long)s,
        byte b => (long)b,
        uint u => (long)u,
        float f => (double)f,
        decimal m => (double)m,
        ulong ul => ul <= long.MaxValue ? (long)ul : (double)ul,
        JsonElement e => FromElement(e),
        JsonNode n => FromNode(n),
        ChatMessage m => FromMessage(m),
        ChatContentPart p => FromPart(p),
        TupleValue or NamespaceValue or Undefined => value,
        IDictionary dict => FromDictionary(dict),
        IEnumerable<KeyValuePair<string, object?>> pairs => FromPairs(pairs),
        IEnumerable items => FromEnumerable(items),
        _ => throw new ArgumentException($"values of type {value.GetType().Name} cannot be passed to a chat template", nameof(value)),
    };

    private static OrderedDictionary<object, object?> NewDict() => new(PyKeyComparer.Instance);

    private static object? FromElement(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                OrderedDictionary<object, object?> dict = NewDict();
                foreach (JsonProperty p in e.EnumerateObject())
                {
                    dict[p.Name] = FromElement(p.Value);
                }

                return dict;
            case JsonValueKind.Array:
                var list = new List<object?>(e.GetArrayLength());
                foreach (JsonElement item in e.EnumerateArray())
                {
                    list.Add(FromElement(item));
                }

                return list;
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                return FromNumberText(e.GetRawText());
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    /// <summary>Python's json gives int for "1" and float for "1.0" or "1e3".</summary>
    private static object FromNumberText(string raw)
    {
        if (raw.AsSpan().IndexOfAny(".eE") < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            return l;
        }

        return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    private static object? FromNode(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                OrderedDictionary<object, object?> dict = NewDict();
                foreach (KeyValuePair<string, JsonNode?> kv in obj)
                {
                    dict[kv.Key] = kv.Value is null ? null : FromNode(kv.Value);
                }

                return dict;
            case JsonArray array:
                return array.Select(item => item is null ? null : FromNode(item)).ToList();
            case JsonValue v:
                if (v.TryGetValue(out JsonElement element))
                {
                    return FromElement(element);
                }

                return v.GetValueKind() switch
                {
                    JsonValueKind.String => v.GetValue<object>().ToString(),
                    JsonValueKind.Number => FromNumberText(v.ToJsonString()),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => null,
                };
            default:
                return null;
        }
    }

    private static OrderedDictionary<object, object?> FromDictionary(IDictionary source)
    {
        OrderedDictionary<object, object?> dict = NewDict();
        foreach (DictionaryEntry entry in source)
        {
            dict[ToValue(entry.Key) ?? throw new ArgumentException("dictionary keys cannot be null")] = ToValue(entry.Value);
        }

        return dict;
    }

    private static OrderedDictionary<object, object?> FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        OrderedDictionary<object, object?> dict = NewDict();
        foreach (KeyValuePair<string, object?> kv in pairs)
        {
            dict[kv.Key] = ToValue(kv.Value);
        }

        return dict;
    }

    private static List<object?> FromEnumerable(IEnumerable items)
    {
        var list = new List<object?>();
        foreach (object? item in items)
        {
            list.Add(ToValue(item));
        }

        return list;
    }

    private static OrderedDictionary<object, object?> FromMessage(ChatMessage m)
    {
        OrderedDictionary<object, object?> dict = NewDict();
        dict["role"] = m.Role;
        dict["content"] = m.ContentParts is not null ? m.ContentParts.Select(p => (object?)FromPart(p)).ToList() : m.Content;
        if (m.Name is not null)
        {
            dict["name"] = m.Name;
        }

        if (m.ToolCalls is not null)
        {
            dict["tool_calls"] = ToValue(m.ToolCalls);
        }

        if (m.ToolCallId is not null)
        {
            dict["tool_call_id"] = m.ToolCallId;
        }

        if (m.ReasoningContent is not null)
        {
            dict["reasoning_content"] = m.ReasoningContent;
        }

        if (m.Extra is not null)
        {
            foreach (KeyValuePair<string, object?> kv in m.Extra)
            {
                dict[kv.Key] = ToValue(kv.Value);
            }
        }

        return dict;
    }

    private static OrderedDictionary<object, object?> FromPart(ChatContentPart p)
    {
        OrderedDictionary<object, object?> dict = NewDict();
        dict["type"] = p.Type;
        if (p.Text is not null)
        {
            dict["text"] = p.Text;
        }

        if (p.Extra is not null)
        {
            foreach (KeyValuePair<string, object?> kv in p.Extra)
            {
                dict[kv.Key] = ToValue(kv.Value);
            }
        }

        return dict;
    }
}
