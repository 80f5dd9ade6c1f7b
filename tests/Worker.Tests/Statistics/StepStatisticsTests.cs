using System.Diagnostics;
using LlmServe.Worker.Statistics;
using Xunit;

namespace LlmServe.Worker.Tests.Statistics;

public sealed class StepStatisticsTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void Reports_the_window_once_the_interval_has_passed()
    {
        var statistics = new StepStatistics(TimeSpan.FromSeconds(10), startTimestamp: 0);
        statistics.Record(decodeRows: 255, chunkTokens: 1793, elapsedTicks: 3 * Second);
        statistics.Record(decodeRows: 256, chunkTokens: 0, elapsedTicks: 1 * Second);

        Assert.False(statistics.TryTakeReport(9 * Second, out _));
        Assert.True(statistics.TryTakeReport(10 * Second, out var report));

        Assert.Equal(2, report.Steps);
        Assert.Equal(511, report.DecodeRows);
        Assert.Equal(1793, report.ChunkTokens);
        Assert.Equal(10, report.WindowSeconds, 6);
        Assert.Equal(40, report.BusyPercent, 6);
        Assert.Equal(2000, report.MeanStepMilliseconds, 6);
        Assert.Equal(3, report.LongestStepSeconds, 6);
        Assert.Equal(230.4, report.TokensPerSecond, 6);
    }

    [Fact]
    public void A_report_starts_a_new_window()
    {
        var statistics = new StepStatistics(TimeSpan.FromSeconds(1), startTimestamp: 0);
        statistics.Record(1, 0, Second / 2);
        Assert.True(statistics.TryTakeReport(Second, out _));

        statistics.Record(2, 5, Second / 4);
        Assert.False(statistics.TryTakeReport(Second + Second / 2, out _));
        Assert.True(statistics.TryTakeReport(2 * Second, out var second));

        Assert.Equal(1, second.Steps);
        Assert.Equal(2, second.DecodeRows);
        Assert.Equal(5, second.ChunkTokens);
        Assert.Equal(25, second.BusyPercent, 6);
        Assert.Equal(0.25, second.LongestStepSeconds, 6);
    }

    [Fact]
    public void An_idle_window_reports_nothing_and_does_not_dilute_the_next()
    {
        var statistics = new StepStatistics(TimeSpan.FromSeconds(1), startTimestamp: 0);
        Assert.False(statistics.TryTakeReport(60 * Second, out _));

        statistics.Record(1, 0, Second / 2);
        Assert.True(statistics.TryTakeReport(61 * Second, out var report));
        Assert.Equal(1, report.WindowSeconds, 6);
        Assert.Equal(50, report.BusyPercent, 6);
    }

    [Fact]
    public void A_zero_interval_never_reports()
    {
        var statistics = new StepStatistics(TimeSpan.Zero, startTimestamp: 0);
        Assert.False(statistics.Enabled);
        statistics.Record(1, 1, Second);
        Assert.False(statistics.TryTakeReport(100 * Second, out _));
    }

    [Fact]
    public void Negative_counts_are_refused()
    {
        var statistics = new StepStatistics(TimeSpan.FromSeconds(1), startTimestamp: 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => statistics.Record(-1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => statistics.Record(0, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => statistics.Record(0, 0, -1));
    }
}
