using System.Globalization;
using System.Text.Json;
using LlmServe.LoadGen.Metrics;

namespace LlmServe.LoadGen.Reporting;

/// <summary>The result file: <c>vllm bench serve --save-result</c>'s field names, plus the floor and error list.</summary>
public static class ResultJson
{
    public static void Write(Stream stream, RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Summary;
        var o = report.Options;
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("date", report.Started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        w.WriteString("label", o.Label);
        w.WriteString("backend", "openai");
        w.WriteString("model_id", o.Model);
        w.WriteString("base_url", o.BaseUrl.AbsoluteUri);
        w.WriteString("endpoint", o.Endpoint);
        w.WriteString("dataset_name", o.Dataset);
        w.WriteNumber("num_prompts", o.NumPrompts);
        w.WriteNumber("num_warmups", o.NumWarmups);
        if (double.IsPositiveInfinity(o.RequestRate))
        {
            w.WriteString("request_rate", "inf");
        }
        else
        {
            w.WriteNumber("request_rate", o.RequestRate);
        }
        if (o.MaxConcurrency is int mc)
        {
            w.WriteNumber("max_concurrency", mc);
        }
        else
        {
            w.WriteNull("max_concurrency");
        }
        w.WriteNumber("seed", o.Seed);
        w.WriteBoolean("ignore_eos", o.IgnoreEos);
        w.WriteNumber("duration", s.DurationSeconds);
        w.WriteNumber("completed", s.Completed);
        w.WriteNumber("failed", s.Failed);
        w.WriteStartArray("errors");
        foreach (var (error, count) in s.FirstErrors)
        {
            w.WriteStartObject();
            w.WriteString("error", error);
            w.WriteNumber("count", count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("total_input_tokens", s.TotalInputTokens);
        w.WriteNumber("total_output_tokens", s.TotalOutputTokens);
        w.WriteString("input_tokens_source", report.InputLengthSource);
        w.WriteString("output_tokens_source", s.OutputTokenSource);
        w.WriteNumber("request_throughput", s.RequestThroughput);
        if (s.Goodput is double g)
        {
            w.WriteNumber("request_goodput", g);
            w.WriteNumber("good_requests", s.GoodRequests);
        }
        else
        {
            w.WriteNull("request_goodput");
        }
        w.WriteNumber("input_throughput", s.InputThroughput);
        w.WriteNumber("output_throughput", s.OutputThroughput);
        w.WriteNumber("total_token_throughput", s.TotalTokenThroughput);
        w.WriteNumber("max_concurrent_requests", s.MaxConcurrentRequests);
        Stats(w, "ttft", s.Ttft);
        Stats(w, "tpot", s.Tpot);
        Stats(w, "itl", s.Itl);
        Stats(w, "e2el", s.E2el);
        var ok = report.Outcomes.Where(r => r.Success).ToList();
        w.WriteStartArray("input_lens");
        foreach (var r in ok)
        {
            w.WriteNumberValue(r.InputTokens);
        }
        w.WriteEndArray();
        w.WriteStartArray("output_lens");
        foreach (var r in ok)
        {
            w.WriteNumberValue(r.OutputTokens);
        }
        w.WriteEndArray();
        w.WriteStartArray("ttfts");
        foreach (var r in ok)
        {
            w.WriteNumberValue(r.Ttft);
        }
        w.WriteEndArray();
        w.WriteStartArray("e2els");
        foreach (var r in ok)
        {
            w.WriteNumberValue(r.Latency);
        }
        w.WriteEndArray();
        if (report.HopTimings is { } hops)
        {
            HopTimingJson.Write(w, hops);
        }
        if (report.Floor is { } f)
        {
            w.WriteStartObject("floor");
            w.WriteNumber("gemm_tflops", o.FloorGemmTflops);
            w.WriteNumber("bandwidth_gbs", o.FloorBandwidthGBs);
            w.WriteNumber("params_per_token", f.ParametersPerToken);
            w.WriteNumber("weight_bytes_per_step", f.WeightBytesPerStep);
            w.WriteNumber("prefill_flops", f.PrefillFlops);
            w.WriteNumber("prefill_s", f.PrefillSeconds);
            w.WriteNumber("decode_steps", f.DecodeSteps);
            w.WriteNumber("decode_bytes", f.DecodeBytes);
            w.WriteNumber("decode_s", f.DecodeSeconds);
            w.WriteNumber("duration_s", f.DurationSeconds);
            w.WriteNumber("serial_duration_s", f.SerialDurationSeconds);
            w.WriteNumber("output_throughput", f.OutputThroughput);
            w.WriteNumber("mean_ttft_ms", f.MeanTtftMs);
            w.WriteNumber("mean_tpot_ms", f.MeanTpotMs);
            w.WriteNumber("percent_of_floor", s.DurationSeconds > 0 ? 100 * f.DurationSeconds / s.DurationSeconds : 0);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void Stats(Utf8JsonWriter w, string key, LatencyStats stats)
    {
        w.WriteNumber($"mean_{key}_ms", stats.Mean);
        w.WriteNumber($"median_{key}_ms", stats.Median);
        w.WriteNumber($"std_{key}_ms", stats.Std);
        foreach (var (p, value) in stats.Percentiles)
        {
            w.WriteNumber($"p{RunReport.PercentileName(p)}_{key}_ms", value);
        }
    }
}
