using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Metrics;

/// <summary>
/// The per-hop breakdown of a run (<c>--hop-timings</c>): per hop, the first token's values over requests and the steady
/// tokens' values over every steady token of every request, each with its mean's share of the client's mean TTFT / TPOT.
/// </summary>
/// <remarks>
/// First-token hops tile the request's arrival at the gateway → first text written, so their shares add up to a little less
/// than 100% of TTFT (the rest is the HTTP hop and the client). Steady tokens overlap (a token's delta is fanned out while the
/// next step runs), so their shares do not add up: scheduler_queue + worker_execute + worker_bus is the step cycle, ≈ TPOT.
/// The HTTP hop each way (<see cref="ClientToServer"/>, <see cref="ServerToClient"/>) compares the client's wall clock with the
/// server's, so it means something only when both run on one machine (as bench/serving does).
/// </remarks>
public sealed class HopTimingSummary
{
    public required IReadOnlyList<(string Hop, HopStats? FirstToken, HopStats? PerToken)> Hops { get; init; }

    /// <summary>Client send → the server's arrival stamp, over requests (null without the stamps).</summary>
    public required HopStats? ClientToServer { get; init; }

    /// <summary>The server's first-text write stamp → the client reading it.</summary>
    public required HopStats? ServerToClient { get; init; }

    /// <summary>Completed requests that returned a breakdown, and those that did not.</summary>
    public required int Requests { get; init; }

    public required int RequestsWithout { get; init; }

    public required int SteadyTokens { get; init; }

    public required int Clamped { get; init; }

    public required int PlannedAhead { get; init; }

    public required double ClientTtftMicros { get; init; }

    public required double ClientTpotMicros { get; init; }

    /// <summary>Mean of each request's summed first-token hops (its arrival → first text written).</summary>
    public required double FirstTokenTotalMicros { get; init; }

    /// <summary>Null when no completed request carried a breakdown.</summary>
    public static HopTimingSummary? From(IReadOnlyList<RequestOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var ok = outcomes.Where(o => o.Success).ToList();
        var samples = ok.Where(o => o.HopTiming is not null).Select(o => o.HopTiming!).ToList();
        if (samples.Count == 0)
        {
            return null;
        }
        var timed = ok.Where(o => o.HopTiming is not null).ToList();
        double ttft = timed.Average(o => o.Ttft) * 1e6;
        var tpots = timed.Where(o => o.OutputTokens > 1).Select(o => o.Tpot).ToList();
        double tpot = tpots.Count > 0 ? tpots.Average() * 1e6 : 0;

        // Hops in the server's order: the first token's, then any only steady tokens have.
        var names = new List<string>();
        foreach (var sample in samples)
        {
            foreach (var (hop, _) in sample.FirstToken)
            {
                if (!names.Contains(hop))
                {
                    names.Add(hop);
                }
            }
        }
        foreach (var sample in samples)
        {
            foreach (var (hop, _) in sample.PerToken)
            {
                if (!names.Contains(hop))
                {
                    names.Add(hop);
                }
            }
        }
        var hops = names.Select(hop => (hop,
            HopStats.From(samples.SelectMany(s => s.FirstToken.Where(h => h.Hop == hop).Select(h => h.Micros)), ttft),
            HopStats.From(samples.SelectMany(s => s.PerToken.Where(h => h.Hop == hop).SelectMany(h => h.Micros)), tpot))).ToList();
        var stamped = timed.Where(o => o.SentUnixMicros > 0 && o.FirstTextUnixMicros > 0
            && o.HopTiming!.ArrivalUnixMicros > 0 && o.HopTiming.FirstTokenWrittenUnixMicros > 0).ToList();
        return new HopTimingSummary
        {
            Hops = hops,
            ClientToServer = HopStats.From(stamped.Select(o => (double)(o.HopTiming!.ArrivalUnixMicros - o.SentUnixMicros)), ttft),
            ServerToClient = HopStats.From(stamped.Select(o => (double)(o.FirstTextUnixMicros - o.HopTiming!.FirstTokenWrittenUnixMicros)), ttft),
            Requests = samples.Count,
            RequestsWithout = ok.Count - samples.Count,
            SteadyTokens = samples.Sum(s => s.SteadyTokens),
            Clamped = samples.Sum(s => s.Clamped),
            PlannedAhead = samples.Sum(s => s.PlannedAhead),
            ClientTtftMicros = ttft,
            ClientTpotMicros = tpot,
            FirstTokenTotalMicros = samples.Average(s => s.FirstToken.Sum(h => h.Micros)),
        };
    }
}
