using System.Diagnostics;

namespace LlmServe.Worker.Statistics;

/// <summary>
/// What this stage's steps did since the last report: how many, how many packed decode rows and other tokens (prefill chunks, decodes not packed) they carried,
/// and how much of the wall-clock time the stage spent executing them. Idle time is time the stage waited for plans
/// (or activations), i.e. time the GPU was not given work; under load it is what the scheduler and bus cost.
/// Written by the one step loop only; no allocation per step.
/// </summary>
internal sealed class StepStatistics
{
    private readonly TimeSpan _interval;
    private long _windowStart;
    private int _steps;
    private long _decodeRows;
    private long _chunkTokens;
    private long _busyTicks;
    private long _longestTicks;

    /// <param name="interval">How often <see cref="TryTakeReport"/> hands a report out; zero or less: never.</param>
    /// <param name="startTimestamp">The window's start, in <see cref="Stopwatch"/> ticks.</param>
    public StepStatistics(TimeSpan interval, long startTimestamp)
    {
        _interval = interval;
        _windowStart = startTimestamp;
    }

    public bool Enabled => _interval > TimeSpan.Zero;

    /// <summary>Adds one executed step.</summary>
    public void Record(int decodeRows, int chunkTokens, long elapsedTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decodeRows);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(elapsedTicks);
        _steps++;
        _decodeRows += decodeRows;
        _chunkTokens += chunkTokens;
        _busyTicks += elapsedTicks;
        _longestTicks = Math.Max(_longestTicks, elapsedTicks);
    }

    /// <summary>
    /// When the interval has passed since the window began and the window holds at least one step, returns its
    /// report and starts a new window at <paramref name="nowTimestamp"/>. Windows without steps are skipped silently
    /// (an idle server logs nothing) and restart the window, so an idle gap never dilutes the next report.
    /// </summary>
    public bool TryTakeReport(long nowTimestamp, out StepStatisticsReport report)
    {
        report = default;
        if (!Enabled)
        {
            return false;
        }

        if (Stopwatch.GetElapsedTime(_windowStart, nowTimestamp) < _interval)
        {
            return false;
        }

        bool any = _steps > 0;
        if (any)
        {
            report = new StepStatisticsReport(
                Steps: _steps,
                DecodeRows: _decodeRows,
                ChunkTokens: _chunkTokens,
                WindowSeconds: Seconds(nowTimestamp - _windowStart),
                BusySeconds: Seconds(_busyTicks),
                LongestStepSeconds: Seconds(_longestTicks));
        }

        _windowStart = nowTimestamp;
        _steps = 0;
        _decodeRows = 0;
        _chunkTokens = 0;
        _busyTicks = 0;
        _longestTicks = 0;
        return any;
    }

    private static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;
}
