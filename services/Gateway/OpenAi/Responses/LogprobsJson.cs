using System.Globalization;
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

    public static string TokenText(ChoiceText choice, int i) =>
        i < choice.LogprobTokens.Count ? choice.LogprobTokens[i] : IdText(choice.Logprobs[i].TokenId);

    public static void WriteChat(Utf8JsonWriter w, IReadOnlyList<(string Token, TokenLogprob Logprob)> entries, int top)
    {
        w.WriteStartObject();
        w.WriteStartArray("content"u8);
        foreach (var (token, lp) in entries)
        {
            w.WriteStartObject();
            WriteTokenFields(w, token, lp.Logprob);
            w.WriteStartArray("top_logprobs"u8);
            int written = 0;
            foreach (var alt in lp.Top)
            {
                if (written++ >= top)
                {
                    break;
                }
                w.WriteStartObject();
                WriteTokenFields(w, alt.TokenId == lp.TokenId ? token : IdText(alt.TokenId), alt.Logprob);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Completions shape; advances <paramref name="textOffset"/> by each token's length.</summary>
    public static void WriteCompletion(Utf8JsonWriter w, IReadOnlyList<(string Token, TokenLogprob Logprob)> entries, int top, ref int textOffset)
    {
        w.WriteStartObject();
        w.WriteStartArray("tokens"u8);
        foreach (var (token, _) in entries)
        {
            w.WriteStringValue(token);
        }
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs"u8);
        foreach (var (_, lp) in entries)
        {
            w.WriteNumberValue(Clamp(lp.Logprob));
        }
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs"u8);
        foreach (var (token, lp) in entries)
        {
            if (top == 0)
            {
                w.WriteNullValue();
                continue;
            }
            w.WriteStartObject();
            int written = 0;
            foreach (var alt in lp.Top)
            {
                if (written++ >= top)
                {
                    break;
                }
                w.WriteNumber(alt.TokenId == lp.TokenId ? token : IdText(alt.TokenId), Clamp(alt.Logprob));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("text_offset"u8);
        foreach (var (token, _) in entries)
        {
            w.WriteNumberValue(textOffset);
            textOffset += token.Length;
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The entries of one streamed choice delta.</summary>
    public static List<(string Token, TokenLogprob Logprob)> Entries(ChoiceText choice)
    {
        var list = new List<(string, TokenLogprob)>(choice.Logprobs.Count);
        for (int i = 0; i < choice.Logprobs.Count; i++)
        {
            list.Add((TokenText(choice, i), choice.Logprobs[i]));
        }
        return list;
    }

    private static void WriteTokenFields(Utf8JsonWriter w, string token, float logprob)
    {
        w.WriteString("token"u8, token);
        w.WriteNumber("logprob"u8, Clamp(logprob));
        w.WriteStartArray("bytes"u8);
        foreach (byte b in Encoding.UTF8.GetBytes(token))
        {
            w.WriteNumberValue(b);
        }
        w.WriteEndArray();
    }

    private static float Clamp(float logprob) => float.IsFinite(logprob) ? logprob : Floor;

    private static string IdText(int tokenId) => "token_id:" + tokenId.ToString(CultureInfo.InvariantCulture);
}
