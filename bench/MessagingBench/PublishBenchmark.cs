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

    /// <summary>
    /// Publishes for half a second first: the JIT only promotes hot methods to optimized code after a delay
    /// (~100 ms), and the C client it is compared with is compiled ahead of time.
    /// </summary>
    private static async Task WarmUpAsync(NatsBus bus, byte[] payload)
    {
        var until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
        while (Stopwatch.GetTimestamp() < until)
        {
            for (var i = 0; i < 10_000; i++)
            {
                await bus.PublishAsync("bench.warmup", payload);
            }

            await bus.FlushAsync();
        }
    }
}
