using System.Globalization;
using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Metrics;

/// <summary>
/// Service-level objectives in milliseconds (DistServe's goodput, as <c>vllm bench serve --goodput</c>): a request
/// is good when it succeeded and meets every objective that is set.
/// </summary>
public sealed record GoodputSlo(double? TtftMs, double? TpotMs, double? E2elMs)
{
    public bool IsEmpty => TtftMs is null && TpotMs is null && E2elMs is null;

    /// <summary>Parses <c>ttft:MS tpot:MS e2el:MS</c> (any subset, any order).</summary>
    public static GoodputSlo Parse(IEnumerable<string> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        double? ttft = null, tpot = null, e2el = null;
        foreach (string item in items)
        {
            int colon = item.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !double.TryParse(item.AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) || ms < 0)
            {
                throw new FormatException($"--goodput takes NAME:MILLISECONDS pairs (ttft, tpot, e2el); '{item}' is not one.");
            }
            switch (item[..colon].ToLowerInvariant())
            {
                case "ttft": ttft = ms; break;
                case "tpot": tpot = ms; break;
                case "e2el": e2el = ms; break;
                default: throw new FormatException($"--goodput knows ttft, tpot and e2el, not '{item[..colon]}'.");
            }
        }
        return new GoodputSlo(ttft, tpot, e2el);
    }

    public bool IsMetBy(RequestOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Success
            && (TtftMs is not double t || outcome.Ttft * 1000 <= t)
            && (TpotMs is not double p || outcome.Tpot * 1000 <= p)
            && (E2elMs is not double e || outcome.Latency * 1000 <= e);
    }
}
