using LlmServe.LoadGen.Cli;
using LlmServe.LoadGen.Floor;
using LlmServe.LoadGen.Metrics;
using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Reporting;

/// <summary>Everything a run reports: what was asked, what was measured, and the workload's floor when asked for.</summary>
public sealed record RunReport(LoadGenOptions Options, BenchmarkSummary Summary, IReadOnlyList<RequestOutcome> Outcomes, WorkloadFloor? Floor,
    string InputLengthSource, DateTimeOffset Started, HopTimingSummary? HopTimings = null)
{
    /// <summary>vLLM's key spelling of a percentile: 99 → "99", 99.9 → "99.9".</summary>
    public static string PercentileName(double p) => p == Math.Floor(p) ? ((long)p).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : p.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
