using System.Text.Json;
using LlmServe.Gateway.Health;
using LlmServe.Gateway.Metrics;
using LlmServe.Gateway.Models;
using LlmServe.Gateway.Security;

namespace LlmServe.Gateway.Console;

/// <summary>
/// Writes the body of <c>GET /console/api/stats</c>: one snapshot of what the gateway knows, as running totals
/// and cumulative histogram buckets (the page turns differences between snapshots into rates and windowed
/// percentiles, as Prometheus' <c>rate</c> and <c>histogram_quantile</c> would). The shape is documented in
/// services/Gateway/README.md.
/// </summary>
internal sealed class ConsoleStatsWriter(ModelCatalog catalog, ConsoleStatsCollector collector, ApiKeyValidator keys, ServiceInstanceRegistry services,
    TimeProvider time)
{
    public void Write(Utf8JsonWriter writer)
    {
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var fresh = catalog.Fresh().ToHashSet();
        var replicas = catalog.All().ToList();
        var models = catalog.List().Where(m => m.Id == m.Root).Select(m => m.Id)
            .Concat(replicas.Select(r => r.Status.Model))
            .Concat(collector.Models)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var notReady = catalog.ModelsNotReady();

        writer.WriteStartObject();
        writer.WriteNumber("unix_ms"u8, now);
        writer.WriteBoolean("api_key_required"u8, keys.Enabled);
        writer.WriteStartObject("gateway"u8);
        writer.WriteString("status"u8, "ok");
        writer.WriteBoolean("ready"u8, catalog.HasModels && notReady.Count == 0);
        writer.WriteNumber("in_flight"u8, collector.InFlightNow);
        writer.WriteEndObject();
        writer.WriteStartArray("models"u8);
        foreach (string model in models)
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            writer.WriteBoolean("ready"u8, !notReady.Contains(model));
            writer.WriteNumber("requests_finished"u8, collector.Find(ConsoleStatsCollector.RequestSuccess, model)?.Value ?? 0);
            writer.WriteNumber("prompt_tokens"u8, collector.Find(ConsoleStatsCollector.PromptTokens, model)?.Value ?? 0);
            writer.WriteNumber("generation_tokens"u8, collector.Find(ConsoleStatsCollector.GenerationTokens, model)?.Value ?? 0);
            WriteHistogram(writer, "ttft_seconds"u8, collector.Find(ConsoleStatsCollector.TimeToFirstToken, model));
            WriteHistogram(writer, "itl_seconds"u8, collector.Find(ConsoleStatsCollector.TimePerOutputToken, model));
            writer.WriteStartArray("replicas"u8);
            foreach (var replica in replicas.Where(r => r.Status.Model == model).OrderBy(r => r.Status.ReplicaId, StringComparer.Ordinal))
            {
                WriteReplica(writer, replica, fresh.Contains(replica), now);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("services"u8);
        foreach (var instance in services.Snapshot())
        {
            WriteServiceInstance(writer, instance);
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteServiceInstance(Utf8JsonWriter writer, ServiceInstanceHealth instance)
    {
        var h = instance.Heartbeat;
        writer.WriteStartObject();
        writer.WriteString("service"u8, h.Service);
        writer.WriteString("instance"u8, h.InstanceId);
        writer.WriteString("model"u8, h.Model);
        writer.WriteNumber("shard"u8, h.Shard);
        writer.WriteNumber("shard_count"u8, h.ShardCount);
        writer.WriteString("health"u8, instance.Healthy ? "healthy" : "stale");
        writer.WriteBoolean("healthy"u8, instance.Healthy);
        writer.WriteNumber("report_age_ms"u8, instance.AgeMs);
        writer.WriteNumber("interval_ms"u8, h.IntervalMs);
        writer.WriteNumber("started_unix_ms"u8, h.StartedUnixMs);
        writer.WriteEndObject();
    }

    private static void WriteHistogram(Utf8JsonWriter writer, ReadOnlySpan<byte> name, MetricSeries? series)
    {
        writer.WriteStartObject(name);
        if (series is null)
        {
            writer.WriteNumber("count"u8, 0);
            writer.WriteNumber("sum"u8, 0);
            writer.WriteStartArray("bounds"u8);
            writer.WriteEndArray();
            writer.WriteStartArray("cumulative"u8);
            writer.WriteEndArray();
        }
        else
        {
            var (cumulative, sum, count) = series.SnapshotHistogram();
            writer.WriteNumber("count"u8, count);
            writer.WriteNumber("sum"u8, sum);
            writer.WriteStartArray("bounds"u8);
            foreach (double bound in series.BucketBounds!)
            {
                writer.WriteNumberValue(bound);
            }
            writer.WriteEndArray();
            // One more entry than bounds: the last is the +Inf bucket (= count).
            writer.WriteStartArray("cumulative"u8);
            foreach (long c in cumulative)
            {
                writer.WriteNumberValue(c);
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteReplica(Utf8JsonWriter writer, ReplicaSnapshot snapshot, bool fresh, long now)
    {
        var s = snapshot.Status;
        writer.WriteStartObject();
        writer.WriteString("replica"u8, s.ReplicaId);
        writer.WriteString("health"u8, !fresh ? "stale" : s.Serving && s.WorkersReady > 0 ? "healthy" : "not_serving");
        writer.WriteBoolean("serving"u8, s.Serving);
        writer.WriteNumber("report_age_ms"u8, Math.Max(0, now - snapshot.ReceivedUnixMs));
        writer.WriteNumber("workers_ready"u8, s.WorkersReady);
        writer.WriteNumber("stages_expected"u8, s.StagesExpected);
        writer.WriteNumber("running"u8, s.Running);
        writer.WriteNumber("waiting"u8, s.Waiting);
        writer.WriteNumber("kv_cache_usage"u8, s.KvCacheUsage);
        writer.WriteNumber("kv_blocks_total"u8, s.KvBlocksTotal);
        writer.WriteNumber("max_model_len"u8, s.MaxModelLen);
        writer.WriteNumber("prefix_cache_queries"u8, s.PrefixCacheQueries);
        writer.WriteNumber("prefix_cache_hits"u8, s.PrefixCacheHits);
        writer.WriteNumber("prompt_tokens_total"u8, s.PromptTokensTotal);
        writer.WriteNumber("generation_tokens_total"u8, s.GenerationTokensTotal);
        writer.WriteNumber("preemptions_total"u8, s.PreemptionsTotal);
        writer.WriteEndObject();
    }
}
