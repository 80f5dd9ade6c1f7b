using System.Globalization;
using LlmServe.LoadGen.Metrics;

namespace LlmServe.LoadGen.Reporting;

/// <summary>The human-readable result block on stdout, laid out like <c>vllm bench serve</c>'s.</summary>
public static class ResultTable
{
    public static void Write(TextWriter w, RunReport report)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Summary;
        var o = report.Options;
        string Title(string text) => text.Length >= 50 ? text : new string('=', (50 - text.Length - 2) / 2) + " " + text + " " + new string('=', (50 - text.Length - 1) / 2);
        void Row(string name, string value) => w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-40}{value,10}"));
        void Num(string name, double value, int decimals = 2) => Row(name, value.ToString("F" + decimals, CultureInfo.InvariantCulture));

        w.WriteLine(Title("Serving Benchmark Result" + (o.Label is null ? "" : " (" + o.Label + ")")));
        Row("Successful requests:", s.Completed.ToString(CultureInfo.InvariantCulture));
        Row("Failed requests:", s.Failed.ToString(CultureInfo.InvariantCulture));
        Row("Maximum request concurrency:", o.MaxConcurrency?.ToString(CultureInfo.InvariantCulture) ?? "none");
        Row("Request rate (req/s):", double.IsPositiveInfinity(o.RequestRate) ? "inf" : o.RequestRate.ToString("G", CultureInfo.InvariantCulture));
        Num("Benchmark duration (s):", s.DurationSeconds);
        Row("Total input tokens:", s.TotalInputTokens.ToString(CultureInfo.InvariantCulture));
        Row("Total generated tokens:", s.TotalOutputTokens.ToString(CultureInfo.InvariantCulture));
        Row("Output tokens counted from:", s.OutputTokenSource);
        Num("Request throughput (req/s):", s.RequestThroughput);
        if (s.Goodput is double goodput)
        {
            Num("Request goodput (req/s):", goodput);
        }
        Num("Output token throughput (tok/s):", s.OutputThroughput);
        Num("Total token throughput (tok/s):", s.TotalTokenThroughput);
        Row("Peak concurrent requests:", s.MaxConcurrentRequests.ToString(CultureInfo.InvariantCulture));
        Section(w, Title, Num, "Time to First Token", "TTFT", s.Ttft);
        Section(w, Title, Num, "Time per Output Token (excl. 1st token)", "TPOT", s.Tpot);
        Section(w, Title, Num, "Inter-token Latency", "ITL", s.Itl);
        Section(w, Title, Num, "End-to-end Latency", "E2EL", s.E2el);
        if (report.Floor is { } f)
        {
            w.WriteLine(Title("Floor (this workload, this hardware)"));
            Num("Floor GEMM rate (TFLOP/s):", o.FloorGemmTflops, 0);
            Num("Floor bandwidth (GB/s):", o.FloorBandwidthGBs, 0);
            Num("Prefill floor (s):", f.PrefillSeconds, 3);
            Num("Decode floor (s):", f.DecodeSeconds, 3);
            Num("Duration floor, strict (s):", f.DurationSeconds, 3);
            Num("Duration floor, phases serial (s):", f.SerialDurationSeconds, 3);
            Num("% of strict floor (floor/measured):", s.DurationSeconds > 0 ? 100 * f.DurationSeconds / s.DurationSeconds : 0, 1);
            Num("Output throughput floor (tok/s):", f.OutputThroughput, 1);
            Num("TTFT floor, request alone (ms):", f.MeanTtftMs, 2);
            Num("TPOT floor, request alone (ms):", f.MeanTpotMs, 3);
        }
        if (report.HopTimings is { } hops)
        {
            HopTimingTable.Write(w, hops, Title);
        }
        else if (o.HopTimings)
        {
            w.WriteLine(Title("Per-hop timing"));
            w.WriteLine("no completed request carried a breakdown (llmserve_timing): not our gateway, or none completed");
        }
        foreach (var (error, count) in s.FirstErrors)
        {
            w.WriteLine($"error ×{count}: {error}");
        }
        w.WriteLine(new string('=', 50));
    }

    private static void Section(TextWriter w, Func<string, string> title, Action<string, double, int> num, string heading, string key, LatencyStats stats)
    {
        w.WriteLine(title(heading));
        num($"Mean {key} (ms):", stats.Mean, 2);
        num($"Median {key} (ms):", stats.Median, 2);
        foreach (var (p, value) in stats.Percentiles)
        {
            num($"P{RunReport.PercentileName(p)} {key} (ms):", value, 2);
        }
    }
}
