using System.Globalization;
using System.Text;

namespace LlmServe.Reliability.Tests.Fuzzing;

/// <summary>
/// Request bodies for the OpenAI endpoints: JSON built from the parameter names the gateway reads, with values of
/// every JSON kind (right and wrong types, huge and negative numbers, deep nesting, odd strings), plus raw byte
/// mutations of such bodies.
/// </summary>
public sealed class JsonBodyGenerator(Random random)
{
    private static readonly string[] Keys =
    [
        "model", "messages", "prompt", "max_tokens", "max_completion_tokens", "n", "stream", "stream_options", "temperature",
        "top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty", "seed", "stop",
        "stop_token_ids", "logprobs", "top_logprobs", "logit_bias", "echo", "user", "response_format", "tools",
        "tool_choice", "add_generation_prompt", "continue_final_message", "chat_template_kwargs", "ignore_eos",
        "min_tokens", "skip_special_tokens", "include_stop_str_in_output", "priority", "suffix", "best_of",
        "include_usage", "role", "content", "type", "text", "name", "tool_calls", "tool_call_id", "image_url",
    ];

    private static readonly string[] Strings =
    [
        "", "tiny", "user", "assistant", "system", "tool", "text", "json_object", "\u0000", "\uD800", "\u00e9\u4e2d",
        "a\"b\\c", "{{ raise }}", new string('x', 300), "-1", "1e309", "null",
    ];

    /// <summary>A body for /v1/chat/completions (<paramref name="chat"/>) or /v1/completions.</summary>
    public string Body(string model, bool chat = true)
    {
        var sb = new StringBuilder();
        sb.Append('{');
        bool first = true;
        if (random.Next(4) != 0)
        {
            Member(sb, ref first, "model", Quote(random.Next(3) == 0 ? Strings[random.Next(Strings.Length)] : model));
        }
        if (random.Next(3) != 0)
        {
            Member(sb, ref first, chat ? "messages" : "prompt", chat ? Messages() : Prompt());
        }
        int extra = random.Next(0, 8);
        for (int i = 0; i < extra; i++)
        {
            Member(sb, ref first, Keys[random.Next(Keys.Length)], Value(0));
        }
        sb.Append('}');
        return sb.ToString();
    }

    private string Messages()
    {
        if (random.Next(5) == 0)
        {
            return Value(0);
        }
        var sb = new StringBuilder("[");
        int count = random.Next(0, 4);
        for (int i = 0; i < count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }
            sb.Append("{\"role\":").Append(random.Next(4) == 0 ? Value(1) : Quote(Strings[random.Next(2, 6)]));
            sb.Append(",\"content\":").Append(random.Next(3) == 0 ? Value(1) : Quote(Strings[random.Next(Strings.Length)]));
            sb.Append('}');
        }
        return sb.Append(']').ToString();
    }

    private string Prompt() => random.Next(5) switch
    {
        0 => Value(0),
        1 => "[" + string.Join(',', Enumerable.Range(0, random.Next(0, 4)).Select(_ => Quote(Strings[random.Next(Strings.Length)]))) + "]",
        2 => "[" + string.Join(',', Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(-2, 70000).ToString(CultureInfo.InvariantCulture))) + "]",
        _ => Quote(Strings[random.Next(Strings.Length)]),
    };

    private string Value(int depth) => random.Next(depth > 4 ? 6 : 9) switch
    {
        0 => "null",
        1 => random.Next(2) == 0 ? "true" : "false",
        2 => random.Next(-5, 100).ToString(CultureInfo.InvariantCulture),
        3 => new[] { "1e309", "-0", "2147483648", "-9223372036854775809", "0.5", "1e-400", "NaN" }[random.Next(7)],
        4 => Quote(Strings[random.Next(Strings.Length)]),
        5 => random.Next(2) == 0 ? "[]" : "{}",
        6 => "[" + string.Join(',', Enumerable.Range(0, random.Next(0, 4)).Select(_ => Value(depth + 1))) + "]",
        7 => "{" + string.Join(',', Enumerable.Range(0, random.Next(0, 3)).Select(_ => Quote(Keys[random.Next(Keys.Length)]) + ":" + Value(depth + 1))) + "}",
        _ => new string('[', 70) + new string(']', 70),
    };

    private static void Member(StringBuilder sb, ref bool first, string key, string value)
    {
        if (!first)
        {
            sb.Append(',');
        }
        first = false;
        sb.Append(Quote(key)).Append(':').Append(value);
    }

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
