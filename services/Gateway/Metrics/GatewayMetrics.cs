using System.Diagnostics.Metrics;
using LlmServe.Gateway.Models;

namespace LlmServe.Gateway.Metrics;

/// <summary>
/// The gateway's instruments, named like vLLM's (<c>llmserve.X</c> is exposed as <c>llmserve:X</c>): latency
/// histograms measured here, token and request counters, and per-replica gauges read from scheduler status.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "LlmServe.Gateway";

    private static readonly double[] LatencyBuckets =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];

    private static readonly double[] PerTokenBuckets =
        [0.001, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0];

    private static readonly string[] KnownPaths =
        ["/v1/chat/completions", "/v1/completions", "/v1/models", "/tokenize", "/detokenize", "/health", "/ready", "/metrics"];

    private readonly Meter _meter;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _timePerOutputToken;
    private readonly Histogram<double> _e2eLatency;
    private readonly Counter<long> _promptTokens;
    private readonly Counter<long> _generationTokens;
    private readonly Counter<long> _requestSuccess;
    private readonly Counter<long> _httpResponses;
    private readonly UpDownCounter<long> _inFlight;

    public GatewayMetrics(ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _meter = new Meter(MeterName);
        _timeToFirstToken = _meter.CreateHistogram("llmserve.time_to_first_token_seconds", "s",
            "Time from request arrival to the first generated text, measured at the gateway.", null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _timePerOutputToken = _meter.CreateHistogram("llmserve.time_per_output_token_seconds", "s",
            "Mean time between output tokens after the first, per request.", null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = PerTokenBuckets });
        _e2eLatency = _meter.CreateHistogram("llmserve.e2e_request_latency_seconds", "s",
            "Time from request arrival to the last byte of the answer.", null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _promptTokens = _meter.CreateCounter<long>("llmserve.prompt_tokens_total", null, "Prompt tokens of finished requests.");
        _generationTokens = _meter.CreateCounter<long>("llmserve.generation_tokens_total", null, "Generated tokens of finished requests.");
        _requestSuccess = _meter.CreateCounter<long>("llmserve.request_success_total", null, "Finished requests by finish reason.");
        _httpResponses = _meter.CreateCounter<long>("llmserve.http_requests_total", null, "HTTP responses by path and status code.");
        _inFlight = _meter.CreateUpDownCounter<long>("llmserve.gateway_requests_in_flight", null, "Generations the gateway is streaming now.");

        _meter.CreateObservableGauge("llmserve.num_requests_running",
            () => Replicas(catalog, s => s.Running), null, "Requests running on the scheduler replica (last report).");
        _meter.CreateObservableGauge("llmserve.num_requests_waiting",
            () => Replicas(catalog, s => s.Waiting), null, "Requests waiting on the scheduler replica (last report).");
        _meter.CreateObservableGauge("llmserve.kv_cache_usage_perc",
            () => Replicas(catalog, s => (double)s.KvCacheUsage), null, "KV-cache usage of the replica, 0 to 1 (last report).");
        _meter.CreateObservableCounter("llmserve.prefix_cache_queries_total",
            () => Replicas(catalog, s => (long)s.PrefixCacheQueries), null, "Prompt tokens looked up in the prefix cache.");
        _meter.CreateObservableCounter("llmserve.prefix_cache_hits_total",
            () => Replicas(catalog, s => (long)s.PrefixCacheHits), null, "Prompt tokens found in the prefix cache.");
        _meter.CreateObservableCounter("llmserve.num_preemptions_total",
            () => Replicas(catalog, s => (long)s.PreemptionsTotal), null, "Sequences preempted by the scheduler replica.");
    }

    public void RecordFinished(string model, double e2eSeconds, double? ttftSeconds, int promptTokens, int completionTokens,
        IEnumerable<string> finishReasons)
    {
        ArgumentNullException.ThrowIfNull(finishReasons);
        var modelTag = new KeyValuePair<string, object?>("model_name", model);
        _e2eLatency.Record(e2eSeconds, modelTag);
        if (ttftSeconds is double ttft)
        {
            _timeToFirstToken.Record(ttft, modelTag);
            if (completionTokens > 1)
            {
                _timePerOutputToken.Record((e2eSeconds - ttft) / (completionTokens - 1), modelTag);
            }
        }
        _promptTokens.Add(promptTokens, modelTag);
        _generationTokens.Add(completionTokens, modelTag);
        foreach (string reason in finishReasons)
        {
            _requestSuccess.Add(1, modelTag, new KeyValuePair<string, object?>("finished_reason", reason));
        }
    }

    public void CountHttpResponse(string? path, int status)
    {
        string label = path is not null && KnownPaths.Contains(path, StringComparer.Ordinal) ? path
            : path is not null && path.StartsWith("/v1/models/", StringComparison.Ordinal) ? "/v1/models/{id}"
            : "other";
        _httpResponses.Add(1, new KeyValuePair<string, object?>("path", label), new KeyValuePair<string, object?>("status", status));
    }

    public void InFlightChanged(int delta) => _inFlight.Add(delta);

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<T>> Replicas<T>(ModelCatalog catalog, Func<Contracts.SchedulerStatus, T> value)
        where T : struct =>
        catalog.All().Select(s => new Measurement<T>(value(s.Status),
            new KeyValuePair<string, object?>("model_name", s.Status.Model),
            new KeyValuePair<string, object?>("replica", s.Status.ReplicaId)));
}
