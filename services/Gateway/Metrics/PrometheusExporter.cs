using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace LlmServe.Gateway.Metrics;

/// <summary>
/// Listens to the gateway's meter and renders the Prometheus text exposition format (version 0.0.4). No
/// Prometheus exporter package is served here, so the aggregation is ours: counters sum, gauges keep the last
/// value, histograms count into the instrument's advised bucket boundaries.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, ConcurrentDictionary<string, MetricSeries>> _series = new();
    private readonly Lock _collectGate = new();

    public PrometheusExporter(GatewayMetrics metrics)
    {
        // Taking the metrics makes DI create the instruments before the listener starts.
        ArgumentNullException.ThrowIfNull(metrics);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.MeterName)
            {
                _series.TryAdd(instrument, new ConcurrentDictionary<string, MetricSeries>(StringComparer.Ordinal));
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    /// <summary>Collects observable instruments and writes every series.</summary>
    public string Render()
    {
        lock (_collectGate)
        {
            foreach (var (instrument, series) in _series)
            {
                if (instrument.IsObservable)
                {
                    // Observable series are re-reported in full on every collection; forget replicas that vanished.
                    series.Clear();
                }
            }
            _listener.RecordObservableInstruments();
            var sb = new StringBuilder(4096);
            foreach (var (instrument, series) in _series.OrderBy(kv => kv.Key.Name, StringComparer.Ordinal))
            {
                WriteInstrument(sb, instrument, series);
            }
            return sb.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_series.TryGetValue(instrument, out var byLabels))
        {
            return;
        }
        string labels = FormatLabels(tags);
        var series = byLabels.GetOrAdd(labels, static (l, i) => new MetricSeries(l, IsHistogram(i) ? BucketsOf(i) : null), instrument);
        switch (instrument)
        {
            case Histogram<double> or Histogram<long> or Histogram<int> or Histogram<float>:
                series.Observe(value);
                break;
            case ObservableGauge<double> or ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<float>
                or ObservableCounter<long> or ObservableCounter<double> or ObservableUpDownCounter<long>:
                series.Set(value);
                break;
            default:
                series.Add(value);
                break;
        }
    }

    private static bool IsHistogram(Instrument instrument) =>
        instrument is Histogram<double> or Histogram<long> or Histogram<int> or Histogram<float>;

    private static double[] BucketsOf(Instrument instrument) => instrument switch
    {
        Histogram<double> h when h.Advice?.HistogramBucketBoundaries is { } b => [.. b],
        _ => DefaultBuckets,
    };

    private static string PrometheusType(Instrument instrument) => instrument switch
    {
        _ when IsHistogram(instrument) => "histogram",
        Counter<long> or Counter<double> or ObservableCounter<long> or ObservableCounter<double> => "counter",
        _ => "gauge",
    };

    /// <summary>vLLM style: the first dot becomes a colon (<c>llmserve.x</c> → <c>llmserve:x</c>).</summary>
    internal static string PrometheusName(string instrumentName)
    {
        int dot = instrumentName.IndexOf('.', StringComparison.Ordinal);
        string name = dot < 0 ? instrumentName : string.Concat(instrumentName.AsSpan(0, dot), ":", instrumentName.AsSpan(dot + 1));
        return name.Replace('.', '_').Replace('-', '_');
    }

    private static void WriteInstrument(StringBuilder sb, Instrument instrument, ConcurrentDictionary<string, MetricSeries> series)
    {
        string name = PrometheusName(instrument.Name);
        string type = PrometheusType(instrument);
        sb.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(instrument.Description ?? name)).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var s in series.Values.OrderBy(s => s.Labels, StringComparer.Ordinal))
        {
            if (type == "histogram")
            {
                var (cumulative, sum, count) = s.SnapshotHistogram();
                for (int i = 0; i < s.BucketBounds!.Length; i++)
                {
                    AppendSample(sb, name + "_bucket", s.Labels, "le=\"" + Format(s.BucketBounds[i]) + "\"", cumulative[i]);
                }
                AppendSample(sb, name + "_bucket", s.Labels, "le=\"+Inf\"", cumulative[^1]);
                AppendSample(sb, name + "_sum", s.Labels, null, sum);
                AppendSample(sb, name + "_count", s.Labels, null, count);
            }
            else
            {
                AppendSample(sb, name, s.Labels, null, s.Value);
            }
        }
    }

    private static void AppendSample(StringBuilder sb, string name, string labels, string? extra, double value)
    {
        sb.Append(name);
        if (labels.Length > 0 || extra is not null)
        {
            sb.Append('{').Append(labels);
            if (extra is not null)
            {
                sb.Append(labels.Length > 0 ? "," : "").Append(extra);
            }
            sb.Append('}');
        }
        sb.Append(' ').Append(Format(value)).Append('\n');
    }

    private static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string FormatLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }
        var sorted = tags.ToArray();
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var sb = new StringBuilder();
        foreach (var (key, value) in sorted)
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }
            sb.Append(key).Append("=\"");
            string text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            foreach (char c in text)
            {
                _ = c switch
                {
                    '\\' => sb.Append("\\\\"),
                    '"' => sb.Append("\\\""),
                    '\n' => sb.Append("\\n"),
                    _ => sb.Append(c),
                };
            }
            sb.Append('"');
        }
        return sb.ToString();
    }

    private static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
