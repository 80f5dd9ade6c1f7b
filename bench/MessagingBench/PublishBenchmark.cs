using System.Diagnostics;
using LlmServe.Messaging;

namespace LlmServe.MessagingBench;

/// <summary>One publisher, fixed-size payloads, timed until a flush confirms the server has them all.</summary>
internal static class PublishBenchmark
{
    public static async Task RunAsync(string url, int size, int count)
    {
        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = url });
        var payload = new byte[size];
        await WarmUpAsync(bus, payload);

        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await bus.PublishAsync("bench.pub", payload);
        }

        await bus.FlushAsync();
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Report.Throughput("pub", size, count, count, seconds);
    }

    private static async Task WarmUpAsync(NatsBus bus, byte[] payload)
    {
        for (var i = 0; i < 50_000; i++)
        {
            await bus.PublishAsync("bench.warmup", payload);
        }

        await bus.FlushAsync();
    }
}
