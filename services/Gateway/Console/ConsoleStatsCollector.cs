using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LlmServe.Gateway.Metrics;
using Microsoft.Extensions.Hosting;

namespace LlmServe.Gateway.Console;

/// <summary>
/// Per-model totals for the dashboard, read from the gateway's own meter with a second listener (the
/// Prometheus exporter keeps its series to itself): TTFT and inter-token-latency histograms, token and request
/// counters, and the in-flight gauge. Replica gauges come straight from the model catalog instead.
/// It listens from host start (it is a hosted service), not from the first dashboard read, so requests finished before
/// anyone opened the console are counted too.
/// </summary>
internal sealed class ConsoleStatsCollector : IHostedService, IDisposable
{
    internal const string TimeToFirstToken = "llmserve.time_to_first_token_seconds";
    internal const string TimePerOutputToken = "llmserve.time_per_output_token_seconds";
    internal const string PromptTokens = "llmserve.prompt_tokens_total";
    internal const string GenerationTokens = "llmserve.generation_tokens_total";
    internal const string RequestSuccess = "llmserve.request_success_total";
    internal const string InFlight = "llmserve.gateway_requests_in_flight";

    private static readonly string[] Watched = [TimeToFirstToken, TimePerOutputToken, PromptTokens, GenerationTokens, RequestSuccess, InFlight];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string Model), MetricSeries> _series = new();
    private long _inFlight;

    public ConsoleStatsCollector(GatewayMetrics metrics)
    {
        // Taking the metrics makes DI create the instruments before the listener starts.
        ArgumentNullException.ThrowIfNull(metrics);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName && Watched.Contains(instrument.Name, StringComparer.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
    }

    /// <summary>Generations the gateway is streaming now.</summary>
    public long InFlightNow => Interlocked.Read(ref _inFlight);

    /// <summary>Models that have finished at least one request.</summary>
    public IEnumerable<string> Models => _series.Keys.Select(k => k.Model).Distinct(StringComparer.Ordinal);

    /// <summary>The series of <paramref name="instrument"/> for <paramref name="model"/>, or null before its first measurement.</summary>
    public MetricSeries? Find(string instrument, string model) => _series.GetValueOrDefault((instrument, model));

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument.Name == InFlight)
        {
            Interlocked.Add(ref _inFlight, (long)value);
            return;
        }
        string model = "";
        foreach (var (key, tag) in tags)
        {
            if (key == "model_name")
            {
                model = tag as string ?? "";
            }
        }
        if (instrument is Histogram<double> histogram)
        {
            double[] bounds = histogram.Advice?.HistogramBucketBoundaries is { } advised ? [.. advised] : [];
            _series.GetOrAdd((instrument.Name, model), _ => new MetricSeries("", bounds)).Observe(value);
        }
        else
        {
            _series.GetOrAdd((instrument.Name, model), _ => new MetricSeries("", null)).Add(value);
        }
    }
}
