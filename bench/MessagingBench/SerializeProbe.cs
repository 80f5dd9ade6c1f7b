using System.Diagnostics;
using LlmServe.Messaging;

namespace LlmServe.MessagingBench;

/// <summary>
/// Diagnostics for tuning, not part of the table: the cost of serializing a publish with no socket behind it
/// (a bus that never connects buffers everything), and how well a live connection coalesces writes.
/// </summary>
internal static class SerializeProbe
{
    public static async Task RunAsync(string url)
    {
        await using (var offline = new NatsBus(new NatsBusOptions { Url = "nats://127.0.0.1:1", ReconnectBufferSize = int.MaxValue }))
        {
            var payload = new byte[16];
            for (var round = 0; round < 3; round++)
            {
                const int Count = 2_000_000;
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < Count; i++)
                {
                    await offline.PublishAsync("bench.pub", payload);
                }

                Console.WriteLine($"PROBE serialize-only 16 B: {Stopwatch.GetElapsedTime(start).TotalNanoseconds / Count:F1} ns/msg");
            }
        }

        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = url });
        var data = new byte[16];
        var before = bus.WriteStatistics;
        var timer = Stopwatch.GetTimestamp();
        for (var i = 0; i < 2_000_000; i++)
        {
            await bus.PublishAsync("bench.pub", data);
        }

        await bus.FlushAsync();
        var after = bus.WriteStatistics;
        var batches = after.Batches - before.Batches;
        Console.WriteLine($"PROBE live 16 B: {Stopwatch.GetElapsedTime(timer).TotalNanoseconds / 2_000_000:F1} ns/msg, {batches} batches, {(after.Bytes - before.Bytes) / Math.Max(1, batches)} bytes/batch");
    }
}
