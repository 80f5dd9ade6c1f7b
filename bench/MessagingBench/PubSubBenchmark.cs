using System.Diagnostics;
using LlmServe.Messaging;

namespace LlmServe.MessagingBench;

/// <summary>Publisher and subscriber on separate connections; timed from the first publish to the last delivery.</summary>
internal static class PubSubBenchmark
{
    public static async Task RunAsync(string url, int size, int count)
    {
        await using var publisher = await NatsBus.ConnectAsync(new NatsBusOptions { Url = url });
        await using var subscriber = await NatsBus.ConnectAsync(new NatsBusOptions { Url = url });
        await using var subscription = await subscriber.SubscribeAsync("bench.pubsub", options: new SubscriptionOptions { Capacity = count });
        var payload = new byte[size];
        await WarmUpAsync(publisher, subscriber, payload);
        long lastReceived = 0;
        var received = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var reader = Task.Run(async () =>
        {
            await foreach (var message in subscription.ReadAllAsync(deadline.Token))
            {
                if (++received == count)
                {
                    lastReceived = Stopwatch.GetTimestamp();
                    return;
                }
            }
        });

        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync("bench.pubsub", payload);
        }

        await publisher.FlushAsync();
        try
        {
            await reader;
        }
        catch (OperationCanceledException)
        {
            lastReceived = Stopwatch.GetTimestamp();
        }

        var seconds = Stopwatch.GetElapsedTime(start, lastReceived).TotalSeconds;
        Report.Throughput("pubsub", size, count, received, seconds);
    }

    /// <summary>Half a second of traffic through both paths so the JIT has optimized them (see PublishBenchmark).</summary>
    private static async Task WarmUpAsync(NatsBus publisher, NatsBus subscriber, byte[] payload)
    {
        await using var warmup = await subscriber.SubscribeAsync("bench.pubsub.warmup");
        var draining = Task.Run(async () =>
        {
            await foreach (var message in warmup.ReadAllAsync())
            {
            }
        });
        var until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
        while (Stopwatch.GetTimestamp() < until)
        {
            for (var i = 0; i < 10_000; i++)
            {
                await publisher.PublishAsync("bench.pubsub.warmup", payload);
            }

            await publisher.FlushAsync();
        }

        await warmup.UnsubscribeAsync();
        await draining;
    }
}
