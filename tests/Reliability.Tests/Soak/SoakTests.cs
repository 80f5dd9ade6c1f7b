using System.Globalization;
using System.Text;
using LlmServe.Reliability.Tests.Faults;
using LlmServe.Reliability.Tests.Load;
using LlmServe.TestSupport;

namespace LlmServe.Reliability.Tests.Soak;

/// <summary>
/// Mixed load (streamed and not, short and long prompts and outputs) on every service in its own process, with no
/// fault injected: nothing may fail, and no process's resident memory may keep growing. The CI run is short;
/// <c>LLMSERVE_SOAK_SECONDS</c> makes it longer (bench/soak/run.sh runs 10 minutes).
/// </summary>
public sealed class SoakTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("LLMSERVE_SOAK_SECONDS"), CultureInfo.InvariantCulture, out int s) && s > 0 ? s : 75);

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(Math.Min(20, Duration.TotalSeconds / 4));

    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(5);

    /// <summary>Allowed growth of a process's RSS from the end of the warm-up to the end: 48 MiB or 25 %, whichever is more.</summary>
    private static long AllowedGrowth(long baseline) => Math.Max(48L << 20, baseline / 4);

    [Fact]
    public async Task Mixed_load_fails_nothing_and_memory_stays_flat()
    {
        await using var cluster = await PipelineCluster.StartAsync(FaultClusterFixture.Options(tokenizers: 2, detokenizers: 1, stages: 1));
        using var http = new HttpClient { BaseAddress = cluster.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var client = new StreamingChatClient(http, cluster.Model, TimeSpan.FromSeconds(60));
        var services = cluster.Current.ToList();
        var samples = services.ToDictionary(p => p, _ => new List<(TimeSpan At, long Rss)>());

        var started = DateTime.UtcNow;
        await using var load = new StreamingLoad(client, concurrency: 6, seed: 99) { Mixed = true, MinTokens = 4, MaxTokens = 64 }.Start();
        while (DateTime.UtcNow - started < Duration)
        {
            await Task.Delay(SampleEvery, TestContext.Current.CancellationToken);
            var at = DateTime.UtcNow - started;
            foreach (var service in services)
            {
                samples[service].Add((at, service.ResidentBytes));
            }
        }
        var outcomes = await load.StopAsync();
        var tally = new LoadTally(outcomes);

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{Duration.TotalSeconds:F0} s mixed load: {tally}; {tally.Sent / Duration.TotalSeconds:F1} requests/s");
        table.AppendLine("| service | pid | RSS after warm-up (MiB) | RSS at end (MiB) | max (MiB) | growth (MiB) | allowed (MiB) |");
        table.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        var failures = new List<string>();
        foreach (var service in services)
        {
            var series = samples[service];
            long baseline = series.First(x => x.At >= WarmUp).Rss;
            long end = series[^1].Rss;
            long max = series.Max(x => x.Rss);
            long growth = end - baseline;
            table.AppendLine(CultureInfo.InvariantCulture,
                $"| {service.Service} | {service.Id} | {Mib(baseline)} | {Mib(end)} | {Mib(max)} | {Mib(growth)} | {Mib(AllowedGrowth(baseline))} |");
            if (growth > AllowedGrowth(baseline))
            {
                failures.Add($"{service} grew {Mib(growth)} MiB: " + string.Join(", ", series.Select(x => $"{x.At.TotalSeconds:F0}s={Mib(x.Rss)}")));
            }
            if (service.HasExited)
            {
                failures.Add($"{service} exited");
            }
        }
        ScenarioReport.Write("soak", table.ToString());

        Assert.Equal(0, tally.Hung);
        Assert.True(tally.Failed == 0, $"failures without any fault injected: {tally}\n{cluster.Logs}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(tally.Completed > 20, $"too little load to judge: {tally}");
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture);
}
