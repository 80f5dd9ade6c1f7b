using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>
/// Writes logprobs in the chat shape (<c>content[{token, logprob, bytes, top_logprobs}]</c>) and the completions
/// shape (<c>tokens, token_logprobs, top_logprobs, text_offset</c>).
/// </summary>
/// <remarks>
/// The bus carries decoded text only for sampled tokens; an alternative in top_logprobs that is not the sampled
/// token is named <c>token_id:N</c>, as vLLM does with return_tokens_as_token_ids.
/// </remarks>
internal static class LogprobsJson
{
    // JSON has no -Infinity; vLLM clamps the same way.
    private const float Floor = -9999.0f;

    public static void WriteChat(Utf8JsonWriter w, LogprobEntries entries, int top)
    {
        w.WriteStartObject();
        w.WriteStartArray("content"u8);
        for (int i = 0; i < entries.Count; i++)
        {
            var (token, lp) = entries[i];
            w.WriteStartObject();
            WriteTokenFields(w, token, lp.Logprob, knownText: true);
            w.WriteStartArray("top_logprobs"u8);
            for (int k = 0; k < lp.Top.Count && k < top; k++)
            {
                var alt = lp.Top[k];
                w.WriteStartObject();
                bool sampled = alt.TokenId == lp.TokenId;
                bool known = sampled || alt.Token.Length > 0;
                WriteTokenFields(w, sampled ? token : LogprobEntries.AlternativeText(alt), alt.Logprob, knownText: known);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Completions shape; advances <paramref name="textOffset"/> by each token's length.</summary>
    public static void WriteCompletion(Utf8JsonWriter w, LogprobEntries entries, int top, ref int textOffset)
    {
        w.WriteStartObject();
        w.WriteStartArray("tokens"u8);
        for (int i = 0; i < entries.Count; i++)
        {
            w.WriteStringValue(entries[i].Token);
        }
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs"u8);
        for (int i = 0; i < entries.Count; i++)
        {
            w.WriteNumberValue(Clamp(entries[i].Logprob.Logprob));
        }
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs"u8);
        for (int i = 0; i < entries.Count; i++)
        {
            if (top == 0)
            {
                w.WriteNullValue();
                continue;
            }
            var (token, lp) = entries[i];
            w.WriteStartObject();
            for (int k = 0; k < lp.Top.Count && k < top; k++)
            {
                var alt = lp.Top[k];
                w.WriteNumber(alt.TokenId == lp.TokenId ? token : LogprobEntries.AlternativeText(alt), Clamp(alt.Logprob));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("text_offset"u8);
        for (int i = 0; i < entries.Count; i++)
        {
            w.WriteNumberValue(textOffset);
            textOffset += entries[i].Token.Length;
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTokenFields(Utf8JsonWriter w, string token, float logprob, bool knownText)
    {
        w.WriteString("token"u8, token);
        w.WriteNumber("logprob"u8, Clamp(logprob));
        if (!knownText)
        {
            // A token_id:N stand-in has no bytes of its own; OpenAI allows null here.
            w.WriteNull("bytes"u8);
            return;
        }
        w.WriteStartArray("bytes"u8);
        int max = Encoding.UTF8.GetMaxByteCount(token.Length);
        byte[]? rented = null;
        Span<byte> utf8 = max <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int length = Encoding.UTF8.GetBytes(token, utf8);
        foreach (byte b in utf8[..length])
        {
            w.WriteNumberValue(b);
        }
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
        w.WriteEndArray();
    }

    private static float Clamp(float logprob) => float.IsFinite(logprob) ? logprob : Floor;
}
