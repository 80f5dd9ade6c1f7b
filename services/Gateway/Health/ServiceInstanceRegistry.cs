using System.Collections.Concurrent;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.Health;

/// <summary>
/// The latest <see cref="ServiceHeartbeat"/> of every tokenizer and detokenizer instance. An instance is healthy while
/// its last heartbeat is at most <see cref="StaleAfterIntervals"/> of its own intervals old, and is forgotten after
/// <see cref="GatewayOptions.ServiceHeartbeatRetention"/> (a restarted process comes back under a new instance id).
/// </summary>
internal sealed class ServiceInstanceRegistry(IOptions<GatewayOptions> options, TimeProvider time)
{
    /// <summary>Missed heartbeats (whole intervals of silence) after which an instance shows as stale.</summary>
    internal const int StaleAfterIntervals = 3;

    /// <summary>Used for a heartbeat that does not say its interval: the services' default.</summary>
    private const long DefaultIntervalMs = 2000;

    private readonly ConcurrentDictionary<(string Service, string Instance), (ServiceHeartbeat Heartbeat, long ReceivedUnixMs)> _instances = new();

    public void Record(ServiceHeartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        if (string.IsNullOrEmpty(heartbeat.Service) || string.IsNullOrEmpty(heartbeat.InstanceId))
        {
            return;
        }
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        _instances[(heartbeat.Service, heartbeat.InstanceId)] = (heartbeat, now);
        Forget(now);
    }

    /// <summary>Every instance heard from within the retention, ordered by service, model, shard and instance.</summary>
    public IReadOnlyList<ServiceInstanceHealth> Snapshot()
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        Forget(now);
        return [.. _instances.Values
            .Select(entry =>
            {
                long age = Math.Max(0, now - entry.ReceivedUnixMs);
                long interval = entry.Heartbeat.IntervalMs > 0 ? entry.Heartbeat.IntervalMs : DefaultIntervalMs;
                return new ServiceInstanceHealth(entry.Heartbeat, age, age <= StaleAfterIntervals * interval);
            })
            .OrderBy(h => h.Heartbeat.Service, StringComparer.Ordinal)
            .ThenBy(h => h.Heartbeat.Model, StringComparer.Ordinal)
            .ThenBy(h => h.Heartbeat.Shard)
            .ThenBy(h => h.Heartbeat.InstanceId, StringComparer.Ordinal)];
    }

    private void Forget(long now)
    {
        long cutoff = now - (long)options.Value.ServiceHeartbeatRetention.TotalMilliseconds;
        foreach (var (key, entry) in _instances)
        {
            if (entry.ReceivedUnixMs < cutoff)
            {
                _instances.TryRemove(KeyValuePair.Create(key, entry));
            }
        }
    }
}
