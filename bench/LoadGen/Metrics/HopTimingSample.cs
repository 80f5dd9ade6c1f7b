using System.Text.Json;

namespace LlmServe.LoadGen.Metrics;

/// <summary>
/// One request's per-hop breakdown as the server returned it (the <c>llmserve_timing</c> object of our gateway, asked for
/// with <c>x-llmserve-timing: 1</c>), in microseconds: the first token's hops and each steady token's.
/// </summary>
public sealed class HopTimingSample
{
    /// <summary>First token: hop → µs, in the server's (path) order; no <c>total_us</c>.</summary>
    public IReadOnlyList<(string Hop, double Micros)> FirstToken { get; init; } = [];

    /// <summary>Steady tokens: hop → one value per token (a token missing a stamp has no value for that hop).</summary>
    public IReadOnlyList<(string Hop, IReadOnlyList<double> Micros)> PerToken { get; init; } = [];

    /// <summary>When the request reached the server and when its first text was handed to the connection (Unix µs; 0 = not sent).</summary>
    public long ArrivalUnixMicros { get; init; }

    public long FirstTokenWrittenUnixMicros { get; init; }

    public int Tokens { get; init; }

    public int SteadyTokens { get; init; }

    public int Clamped { get; init; }

    public int PlannedAhead { get; init; }

    /// <summary>Reads the object; unknown or malformed members are skipped, so a partial object still gives what it has.</summary>
    public static HopTimingSample Parse(JsonElement timing)
    {
        var first = new List<(string, double)>();
        if (timing.TryGetProperty("first_token", out var firstToken) && firstToken.ValueKind == JsonValueKind.Object)
        {
            foreach (var hop in firstToken.EnumerateObject())
            {
                if (hop.Name != "total_us" && hop.Value.ValueKind == JsonValueKind.Number)
                {
                    first.Add((hop.Name, hop.Value.GetDouble()));
                }
            }
        }
        var perToken = new List<(string, IReadOnlyList<double>)>();
        if (timing.TryGetProperty("per_token", out var tokens) && tokens.ValueKind == JsonValueKind.Object)
        {
            foreach (var hop in tokens.EnumerateObject())
            {
                if (hop.Value.ValueKind == JsonValueKind.Array)
                {
                    perToken.Add((hop.Name, [.. hop.Value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.Number).Select(v => v.GetDouble())]));
                }
            }
        }
        return new HopTimingSample
        {
            FirstToken = first,
            PerToken = perToken,
            ArrivalUnixMicros = Long(timing, "arrival_unix_us"),
            FirstTokenWrittenUnixMicros = Long(timing, "first_token_written_unix_us"),
            Tokens = Int(timing, "tokens"),
            SteadyTokens = Int(timing, "steady_tokens"),
            Clamped = Int(timing, "clamped"),
            PlannedAhead = Int(timing, "planned_ahead"),
        };
    }

    private static long Long(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : 0;

    private static int Int(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : 0;
}
