using System.Text.Json;
using LlmServe.LoadGen.Metrics;

namespace LlmServe.LoadGen.Reporting;

/// <summary>The <c>hop_timings</c> object of the result file (µs; shares in percent of the client's mean TTFT / TPOT).</summary>
public static class HopTimingJson
{
    public static void Write(Utf8JsonWriter w, HopTimingSummary hops)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(hops);
        w.WriteStartObject("hop_timings");
        w.WriteNumber("requests", hops.Requests);
        w.WriteNumber("requests_without", hops.RequestsWithout);
        w.WriteNumber("steady_tokens", hops.SteadyTokens);
        w.WriteNumber("clamped", hops.Clamped);
        w.WriteNumber("planned_ahead", hops.PlannedAhead);
        w.WriteNumber("client_mean_ttft_us", hops.ClientTtftMicros);
        w.WriteNumber("client_mean_tpot_us", hops.ClientTpotMicros);
        w.WriteNumber("first_token_total_mean_us", hops.FirstTokenTotalMicros);
        // The HTTP hop each way compares the client's clock with the server's: meaningful when both run on one machine.
        Stats(w, "http_client_to_gateway", hops.ClientToServer, "share_of_ttft");
        Stats(w, "http_gateway_to_client", hops.ServerToClient, "share_of_ttft");
        w.WriteStartArray("hops");
        foreach (var (hop, first, token) in hops.Hops)
        {
            w.WriteStartObject();
            w.WriteString("hop", hop);
            Stats(w, "first_token", first, "share_of_ttft");
            Stats(w, "per_token", token, "share_of_tpot");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Stats(Utf8JsonWriter w, string name, HopStats? stats, string share)
    {
        if (stats is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        w.WriteNumber("count", stats.Count);
        w.WriteNumber("mean_us", stats.Mean);
        w.WriteNumber("p50_us", stats.P50);
        w.WriteNumber("p99_us", stats.P99);
        w.WriteNumber(share, stats.Share);
        w.WriteEndObject();
    }
}
