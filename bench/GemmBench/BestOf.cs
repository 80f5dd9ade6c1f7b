namespace LlmServe.GemmBench;

/// <summary>
/// Best-of timing: warm up once, then repeat until a time budget is spent and report the fastest run,
/// by wall clock or by process CPU time divided by the threads used (see <see cref="ProcessClock"/>).
/// </summary>
internal static class BestOf
{
    public static double Seconds(Action run, double budgetSeconds, bool cpuClock, int threads, int maxRuns = 200)
    {
        run();
        double best = double.MaxValue;
        var total = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < maxRuns && (i < 3 || total.Elapsed.TotalSeconds < budgetSeconds); i++)
        {
            double start = cpuClock ? ProcessClock.Seconds() : System.Diagnostics.Stopwatch.GetTimestamp();
            run();
            double seconds = cpuClock
                ? (ProcessClock.Seconds() - start) / threads
                : System.Diagnostics.Stopwatch.GetElapsedTime((long)start).TotalSeconds;
            best = Math.Min(best, seconds);
        }

        return best;
    }
}
