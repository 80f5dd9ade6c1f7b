using System.Globalization;
using LlmServe.LoadGen.Metrics;

namespace LlmServe.LoadGen.Reporting;

/// <summary>The per-hop table on stdout: first token and steady tokens, mean / p50 / p99 in µs and the mean's share of TTFT / TPOT.</summary>
public static class HopTimingTable
{
    public static void Write(TextWriter w, HopTimingSummary hops, Func<string, string> title)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(hops);
        ArgumentNullException.ThrowIfNull(title);
        var c = CultureInfo.InvariantCulture;
        w.WriteLine(title("Per-hop timing (server stamps, µs)"));
        w.WriteLine(string.Create(c, $"{hops.Requests} requests ({hops.RequestsWithout} without a breakdown), {hops.SteadyTokens} steady tokens, " +
            $"{hops.Clamped} clamped (clock skew), {hops.PlannedAhead} planned ahead"));
        w.WriteLine(string.Create(c, $"{"hop",-28}{"first mean",11}{"p50",9}{"p99",9}{"%TTFT",7} |{"token mean",11}{"p50",9}{"p99",9}{"%TPOT",7}"));
        if (hops.ClientToServer is { } request)
        {
            w.WriteLine(string.Create(c, $"{"(http: client → gateway)",-28}{Cells(request)} |"));
        }
        foreach (var (hop, first, token) in hops.Hops)
        {
            w.WriteLine(string.Create(c, $"{Name(hop),-28}{Cells(first)} |{Cells(token)}"));
        }
        if (hops.ServerToClient is { } response)
        {
            w.WriteLine(string.Create(c, $"{"(http: gateway → client)",-28}{Cells(response)} |"));
        }
        double steadySum = hops.Hops.Sum(h => h.PerToken?.Mean ?? 0);
        w.WriteLine(string.Create(c, $"{"sum of hops",-28}{hops.FirstTokenTotalMicros,11:F1}{"",18}{Share(hops.FirstTokenTotalMicros, hops.ClientTtftMicros),7} |" +
            $"{steadySum,11:F1}{"",18}{Share(steadySum, hops.ClientTpotMicros),7}"));
        w.WriteLine(string.Create(c, $"{"client TTFT / TPOT",-28}{hops.ClientTtftMicros,11:F1}{"",25} |{hops.ClientTpotMicros,11:F1}"));
        w.WriteLine("First-token hops tile gateway arrival → first text written (the http rows compare the client's clock with the");
        w.WriteLine("server's: meaningful on one machine); steady tokens overlap the next step, so their shares do not add up:");
        w.WriteLine("scheduler_queue + worker_execute + worker_bus is the step cycle (≈ TPOT).");
    }

    /// <summary>A hop's key without its unit: <c>worker_execute_us</c> → <c>worker_execute</c>.</summary>
    public static string Name(string hop)
    {
        ArgumentNullException.ThrowIfNull(hop);
        return hop.EndsWith("_us", StringComparison.Ordinal) ? hop[..^3] : hop;
    }

    private static string Cells(HopStats? stats) => stats is null
        ? string.Create(CultureInfo.InvariantCulture, $"{"—",11}{"—",9}{"—",9}{"—",7}")
        : string.Create(CultureInfo.InvariantCulture, $"{stats.Mean,11:F1}{stats.P50,9:F0}{stats.P99,9:F0}{stats.Share,6:F1}%");

    private static string Share(double micros, double client) =>
        client > 0 ? (100 * micros / client).ToString("F1", CultureInfo.InvariantCulture) + "%" : "—";
}
