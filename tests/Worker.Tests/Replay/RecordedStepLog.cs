using System.Globalization;
using System.Text.RegularExpressions;
using LlmServe.Contracts;

namespace LlmServe.Worker.Tests.Replay;

/// <summary>
/// The step plans and results a traced run logged: the worker's "plan bytes" and "result sent" lines and the
/// scheduler's "result received" fingerprints (both services at Trace level; see docs/STATUS.md).
/// </summary>
internal sealed partial class RecordedStepLog
{
    public SortedDictionary<ulong, StepPlan> Plans { get; } = [];

    public Dictionary<ulong, StepResult> ResultsSent { get; } = [];

    public Dictionary<ulong, string> FingerprintsSent { get; } = [];

    public Dictionary<ulong, string> FingerprintsReceived { get; } = [];

    /// <summary>Plans logged twice (by each stage of a pipeline) must be the same bytes.</summary>
    public List<ulong> ConflictingPlans { get; } = [];

    public static RecordedStepLog Read(IEnumerable<string> lines)
    {
        var log = new RecordedStepLog();
        foreach (string line in lines)
        {
            if (PlanLine().Match(line) is { Success: true } plan)
            {
                ulong step = Step(plan);
                var parsed = StepPlan.Parser.ParseFrom(Convert.FromBase64String(plan.Groups["bytes"].Value));
                if (log.Plans.TryGetValue(step, out var seen) && !seen.Equals(parsed))
                {
                    log.ConflictingPlans.Add(step);
                }
                log.Plans[step] = parsed;
            }
            else if (ResultSentLine().Match(line) is { Success: true } sent)
            {
                ulong step = Step(sent);
                log.ResultsSent[step] = StepResult.Parser.ParseFrom(Convert.FromBase64String(sent.Groups["bytes"].Value));
                log.FingerprintsSent[step] = sent.Groups["print"].Value;
            }
            else if (ResultReceivedLine().Match(line) is { Success: true } received)
            {
                log.FingerprintsReceived[Step(received)] = received.Groups["print"].Value;
            }
        }
        return log;
    }

    private static ulong Step(Match match) => ulong.Parse(match.Groups["step"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Step (?<step>\d+) plan bytes: (?<bytes>[A-Za-z0-9+/=]+)")]
    private static partial Regex PlanLine();

    [GeneratedRegex(@"Step (?<step>\d+) result sent: \d+ bytes, fingerprint (?<print>[0-9a-f]+): (?<bytes>[A-Za-z0-9+/=]+)")]
    private static partial Regex ResultSentLine();

    [GeneratedRegex(@"Step (?<step>\d+) result received: \d+ bytes, fingerprint (?<print>[0-9a-f]+)")]
    private static partial Regex ResultReceivedLine();
}
