using System.Globalization;
using System.Text;

namespace LlmServe.Reliability.Tests.Load;

/// <summary>Counts of a set of outcomes: sent, completed, failed with an error (by error), hung.</summary>
public sealed class LoadTally
{
    public LoadTally(IReadOnlyCollection<RequestOutcome> outcomes)
    {
        Sent = outcomes.Count;
        Completed = outcomes.Count(o => o.Kind == OutcomeKind.Completed);
        Failed = outcomes.Count(o => o.Kind == OutcomeKind.Failed);
        Hung = outcomes.Count(o => o.Kind == OutcomeKind.Hung);
        Errors = outcomes.Where(o => o.Kind == OutcomeKind.Failed)
            .GroupBy(o => $"{o.Status} {o.Error}")
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        LongestFailure = outcomes.Where(o => o.Kind == OutcomeKind.Failed).Select(o => o.Duration).DefaultIfEmpty().Max();
    }

    public int Sent { get; }

    public int Completed { get; }

    public int Failed { get; }

    public int Hung { get; }

    /// <summary>"status code" → count, e.g. "503 worker_failed".</summary>
    public IReadOnlyDictionary<string, int> Errors { get; }

    /// <summary>How long the slowest failed request took to be told.</summary>
    public TimeSpan LongestFailure { get; }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"sent={Sent} completed={Completed} failed={Failed} hung={Hung}");
        sb.Append(CultureInfo.InvariantCulture, $" longest_failure={LongestFailure.TotalSeconds:F1}s");
        if (Errors.Count > 0)
        {
            sb.Append(" errors={").Append(string.Join(", ", Errors.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}: {e.Value}"))).Append('}');
        }
        return sb.ToString();
    }
}
