using System.Globalization;

namespace LlmServe.MessagingBench;

/// <summary>Prints results in the RESULT key=value format shared with cbench.c.</summary>
internal static class Report
{
    public static void Throughput(string test, int size, int count, int received, double seconds) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT impl=ours test={test} size={size} msgs={count} received={received} secs={seconds:F4} msgs_per_s={received / seconds:F0} mb_per_s={(double)received * size / seconds / 1e6:F1}"));

    public static void Latency(string test, int size, int count, double p50, double p99) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT impl=ours test={test} size={size} msgs={count} p50_us={p50:F1} p99_us={p99:F1}"));
}
