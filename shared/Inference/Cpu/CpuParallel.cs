namespace LlmServe.Inference.Cpu;

/// <summary>
/// Splits [0, count) into contiguous ranges of at least <c>grain</c> items, one per worker at most, so small
/// steps (one decode token) run inline instead of paying for thread hand-offs.
/// </summary>
internal sealed class CpuParallel
{
    private readonly ParallelOptions _options;

    public CpuParallel(int threads)
    {
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        _options = new ParallelOptions { MaxDegreeOfParallelism = Threads };
    }

    public int Threads { get; }

    /// <summary>Runs body(start, end) over ranges covering [0, count).</summary>
    public void For(int count, int grain, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }

        int parts = Math.Min(Threads, Math.Max(1, count / Math.Max(1, grain)));
        if (parts == 1)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, parts, _options, p =>
        {
            int start = (int)((long)count * p / parts);
            int end = (int)((long)count * (p + 1) / parts);
            body(start, end);
        });
    }
}
