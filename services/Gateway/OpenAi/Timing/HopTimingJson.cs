using System.Text.Json;

namespace LlmServe.Gateway.OpenAi.Timing;

/// <summary>
/// Writes a <see cref="HopBreakdown"/> as the <c>llmserve_timing</c> extension object (microseconds): <c>first_token</c>,
/// <c>per_token_mean</c>, <c>per_token</c> (each steady token's values, null where a stamp was missing), the request's arrival
/// and first-token write as absolute Unix µs, and counts.
/// </summary>
internal static class HopTimingJson
{
    public static void Write(Utf8JsonWriter w, HopBreakdown breakdown)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(breakdown);
        w.WriteStartObject("llmserve_timing"u8);
        if (breakdown.FirstToken is { } first)
        {
            w.WriteStartObject("first_token"u8);
            for (var hop = Hop.Gateway; hop <= Hop.GatewayWrite; hop++)
            {
                if (first[hop] is long value)
                {
                    w.WriteNumber(HopNames.Of(hop), value);
                }
            }
            w.WriteNumber("total_us"u8, first.Total);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("first_token"u8);
        }

        w.WriteStartObject("per_token_mean"u8);
        double total = 0;
        for (var hop = HopNames.FirstSteadyHop; hop <= Hop.GatewayWrite; hop++)
        {
            if (breakdown.SteadyMean(hop) is double mean)
            {
                double rounded = Math.Round(mean, 1);
                w.WriteNumber(HopNames.Of(hop), rounded);
                total += rounded;
            }
        }
        w.WriteNumber("total_us"u8, Math.Round(total, 1));
        w.WriteEndObject();

        w.WriteStartObject("per_token"u8);
        for (var hop = HopNames.FirstSteadyHop; hop <= Hop.GatewayWrite; hop++)
        {
            w.WriteStartArray(HopNames.Of(hop));
            foreach (HopValues token in breakdown.SteadyTokens)
            {
                if (token[hop] is long value)
                {
                    w.WriteNumberValue(value);
                }
                else
                {
                    w.WriteNullValue();
                }
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();

        w.WriteNumber("arrival_unix_us"u8, breakdown.ArrivedUs);
        w.WriteNumber("first_token_written_unix_us"u8, breakdown.FirstTokenWrittenUs);
        w.WriteNumber("tokens"u8, breakdown.Tokens);
        w.WriteNumber("steady_tokens"u8, breakdown.SteadyTokens.Count);
        w.WriteNumber("clamped"u8, breakdown.Clamped);
        w.WriteNumber("planned_ahead"u8, breakdown.PlannedAhead);
        w.WriteEndObject();
    }
}
