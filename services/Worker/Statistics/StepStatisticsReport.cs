namespace LlmServe.Worker.Statistics;

/// <summary>One window of <see cref="StepStatistics"/>.</summary>
internal readonly record struct StepStatisticsReport(
    int Steps,
    long DecodeRows,
    long ChunkTokens,
    double WindowSeconds,
    double BusySeconds,
    double LongestStepSeconds)
{
    /// <summary>Share of the window spent executing steps, in percent.</summary>
    public double BusyPercent => WindowSeconds > 0 ? 100 * BusySeconds / WindowSeconds : 0;

    public double MeanStepMilliseconds => Steps > 0 ? 1000 * BusySeconds / Steps : 0;

    /// <summary>Tokens computed a second of wall-clock time (decode rows + chunk tokens).</summary>
    public double TokensPerSecond => WindowSeconds > 0 ? (DecodeRows + ChunkTokens) / WindowSeconds : 0;
}
