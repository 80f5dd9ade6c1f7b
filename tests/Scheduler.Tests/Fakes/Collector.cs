using System.Collections.Concurrent;
using LlmServe.Messaging;

namespace LlmServe.Scheduler.Tests.Fakes;

/// <summary>Collects messages from one subject for assertions.</summary>
internal sealed class Collector<T> : IAsyncDisposable
{
    private readonly IBusSubscription _subscription;
    private readonly Func<ReadOnlyMemory<byte>, IEnumerable<T>> _parse;
    private readonly Task _loop;

    private Collector(IBusSubscription subscription, Func<ReadOnlyMemory<byte>, IEnumerable<T>> parse)
    {
        _subscription = subscription;
        _parse = parse;
        _loop = Task.Run(LoopAsync);
    }

    public ConcurrentQueue<T> Items { get; } = new();

    public static async Task<Collector<T>> StartAsync(IMessageBus bus, string subject, Func<ReadOnlyMemory<byte>, T> parse) =>
        new(await bus.SubscribeAsync(subject), payload => [parse(payload)]);

    /// <summary>Collects the items of messages that each carry several (e.g. a token delta batch).</summary>
    public static async Task<Collector<T>> StartManyAsync(IMessageBus bus, string subject, Func<ReadOnlyMemory<byte>, IEnumerable<T>> parse) =>
        new(await bus.SubscribeAsync(subject), parse);

    /// <summary>Waits until <paramref name="predicate"/> holds over the items collected so far.</summary>
    public async Task<List<T>> WaitForAsync(Func<List<T>, bool> predicate, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var snapshot = Items.ToList();
            if (predicate(snapshot))
            {
                return snapshot;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met; {snapshot.Count} messages collected.");
            }
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _subscription.DisposeAsync();
        await _loop;
    }

    private async Task LoopAsync()
    {
        await foreach (BusMessage message in _subscription.ReadAllAsync())
        {
            foreach (T item in _parse(message.Payload))
            {
                Items.Enqueue(item);
            }
        }
    }
}
