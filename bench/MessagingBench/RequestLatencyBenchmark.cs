using System.Diagnostics;
using LlmServe.Messaging;

namespace LlmServe.MessagingBench;

/// <summary>Sequential requests to an echo responder on another connection; round-trip percentiles.</summary>
internal static class RequestLatencyBenchmark
{
    public static async Task RunAsync(string url, int size, int count)
    {
        await using var responderBus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = url });
        await using var requester = await NatsBus.ConnectAsync(new NatsBusOptions { Url = url });
        var responder = await responderBus.SubscribeAsync("bench.req");
        var serving = Task.Run(async () =>
        {
            await foreach (var request in responder.ReadAllAsync())
            {
                await responderBus.PublishAsync(request.ReplyTo!, request.Payload);
            }
        });

        var payload = new byte[size];
        // Warm up by count (as cbench.c) and for at least half a second, so the JIT has optimized the path.
        var warmup = count / 10;
        var warmUntil = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            await requester.RequestAsync("bench.req", new byte[size], TimeSpan.FromSeconds(5));
        }

        var samples = new double[count];
        for (var i = 0; i < warmup + count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await requester.RequestAsync("bench.req", payload, TimeSpan.FromSeconds(5));
            if (i >= warmup)
            {
                samples[i - warmup] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
        }

        await responder.UnsubscribeAsync();
        await serving;
        Array.Sort(samples);
        Report.Latency("req", size, count, samples[count / 2], samples[(int)(count * 0.99)]);
    }
}
