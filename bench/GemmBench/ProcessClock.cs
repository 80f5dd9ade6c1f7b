using System.Runtime.InteropServices;

namespace LlmServe.GemmBench;

/// <summary>
/// CPU time of the whole process (all threads), as Python's time.process_time() reads it. On a shared,
/// oversubscribed machine a run's wall time mostly measures the scheduler; CPU time divided by the thread
/// count approximates the wall time the same work would take on dedicated cores.
/// </summary>
internal static partial class ProcessClock
{
    private const int ClockProcessCpuTimeId = 2;

    public static double Seconds()
    {
        if (clock_gettime(ClockProcessCpuTimeId, out var ts) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed.");
        }

        return ts.Seconds + (ts.Nanoseconds * 1e-9);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
