using System.Collections.Concurrent;

namespace LlmServe.Messaging.Subscriptions;

/// <summary>The NATS client's sid → subscription table. Sid 1 is reserved for the shared request inbox.</summary>
internal sealed class SubscriptionManager
{
    public const long InboxSid = 1;

    private readonly ConcurrentDictionary<long, BusSubscription> bySid = new();
    private long lastSid = InboxSid;

    public int Count => bySid.Count;

    public long NextSid() => Interlocked.Increment(ref lastSid);

    public void Add(BusSubscription subscription) => bySid[subscription.Sid] = subscription;

    public bool TryGet(long sid, out BusSubscription subscription) => bySid.TryGetValue(sid, out subscription!);

    public bool Remove(BusSubscription subscription) => bySid.TryRemove(new KeyValuePair<long, BusSubscription>(subscription.Sid, subscription));

    public IReadOnlyList<BusSubscription> Snapshot() => [.. bySid.Values.OrderBy(subscription => subscription.Sid)];

    /// <summary>Removes every subscription and returns them (bus closing or draining).</summary>
    public IReadOnlyList<BusSubscription> RemoveAll()
    {
        var all = Snapshot();
        foreach (var subscription in all)
        {
            Remove(subscription);
        }

        return all;
    }
}
