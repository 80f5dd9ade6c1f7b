using System.Collections.Concurrent;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.Models;

/// <summary>
/// Which models this gateway serves: configured names and aliases, plus every model a scheduler replica has
/// reported on the status subjects. Also answers readiness from those reports.
/// </summary>
public sealed class ModelCatalog
{
    private readonly ConcurrentDictionary<(string Model, string Replica), ReplicaSnapshot> _replicas = new();
    private readonly ConcurrentDictionary<string, long> _firstSeenUnix = new(StringComparer.Ordinal);
    private readonly IOptions<GatewayOptions> _options;
    private readonly TimeProvider _time;

    public ModelCatalog(IOptions<GatewayOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time ?? TimeProvider.System;
        long now = _time.GetUtcNow().ToUnixTimeSeconds();
        foreach (string model in options.Value.Models)
        {
            _firstSeenUnix.TryAdd(model, now);
        }
    }

    /// <summary>Records a replica's status report.</summary>
    public void Update(SchedulerStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (string.IsNullOrEmpty(status.Model))
        {
            return;
        }
        long nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _replicas[(status.Model, status.ReplicaId ?? "")] = new ReplicaSnapshot(status, nowMs);
        long created = status.CreatedUnix > 0 ? status.CreatedUnix : nowMs / 1000;
        _firstSeenUnix.TryAdd(status.Model, created);
    }

    /// <summary>Maps a client's model name (served name or alias) to the served model; null when unknown.</summary>
    public string? Resolve(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }
        if (_options.Value.ModelAliases.TryGetValue(name, out string? target))
        {
            return target;
        }
        return _firstSeenUnix.ContainsKey(name) ? name : null;
    }

    /// <summary>The model used when a request names none: the only one served, else null.</summary>
    public string? DefaultModel => _firstSeenUnix.Count == 1 ? _firstSeenUnix.Keys.First() : null;

    /// <summary>Served models and aliases with their creation time (Unix seconds), sorted by name.</summary>
    public IReadOnlyList<(string Id, long CreatedUnix, string Root)> List()
    {
        var list = _firstSeenUnix.Select(kv => (kv.Key, kv.Value, kv.Key)).ToList();
        foreach (var (alias, target) in _options.Value.ModelAliases)
        {
            if (_firstSeenUnix.TryGetValue(target, out long created) && !_firstSeenUnix.ContainsKey(alias))
            {
                list.Add((alias, created, target));
            }
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return list;
    }

    /// <summary>Largest max_model_len any fresh replica of <paramref name="model"/> reports; 0 when unknown.</summary>
    public int MaxModelLen(string model) =>
        Fresh().Where(s => s.Status.Model == model).Select(s => s.Status.MaxModelLen).DefaultIfEmpty(0).Max();

    /// <summary>Replica reports newer than the freshness window.</summary>
    public IEnumerable<ReplicaSnapshot> Fresh()
    {
        long cutoff = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.Value.StatusFreshness.TotalMilliseconds;
        return _replicas.Values.Where(s => s.ReceivedUnixMs >= cutoff);
    }

    /// <summary>Every replica ever seen (metrics keep reporting the last value of each).</summary>
    public IEnumerable<ReplicaSnapshot> All() => _replicas.Values;

    /// <summary>
    /// Ready when every served model has a fresh report from a replica that is serving with workers.
    /// Returns the models that are not ready.
    /// </summary>
    public IReadOnlyList<string> ModelsNotReady()
    {
        var ready = Fresh().Where(s => s.Status.Serving && s.Status.WorkersReady > 0)
            .Select(s => s.Status.Model).ToHashSet(StringComparer.Ordinal);
        return _firstSeenUnix.Keys.Where(m => !ready.Contains(m)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>True when at least one model is known at all.</summary>
    public bool HasModels => !_firstSeenUnix.IsEmpty;
}
