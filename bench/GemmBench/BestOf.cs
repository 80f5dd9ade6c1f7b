namespace LlmServe.GemmBench;

/// <summary>Best-of timing: warm up once, then repeat until a time budget is spent; report the fastest run.</summary>
internal static class BestOf
{
    public static double Seconds(Action run, double budgetSeconds, int maxRuns = 200)
    {
        run();
        double best = double.MaxValue;
        var total = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < maxRuns && (i < 3 || total.Elapsed.TotalSeconds < budgetSeconds); i++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }
}
