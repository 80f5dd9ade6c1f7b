namespace LlmServe.Inference.Cpu.Gemm;

/// <summary>
/// One multithreaded GEMM call split into parts (column or row ranges of C). The calling thread and
/// thread-pool workers claim parts from a shared counter until none are left, so the call never waits on
/// a worker that has not started (on a busy machine the caller may do every part itself). Jobs are pooled
/// and queued as <see cref="IThreadPoolWorkItem"/>s: a call allocates nothing, unlike Parallel.For. A job
/// goes back to the pool only when its last participant (caller or late worker) has left it.
/// </summary>
internal sealed class GemmJob : IThreadPoolWorkItem
{
    private static readonly Stack<GemmJob> Pool = new();

    private GemmKernel _kernel;
    private GemmOperands _op;
    private GemmPartitioning _partitioning;
    private int _parts;
    private int _nextPart;
    private int _completedParts;
    private int _participants;

    /// <summary>Runs <paramref name="op"/> in <paramref name="parts"/> parts on the caller and up to parts−1 pool threads.</summary>
    public static void Run(in GemmKernel kernel, in GemmOperands op, GemmPartitioning partitioning, int parts)
    {
        var job = Rent();
        job._kernel = kernel;
        job._op = op;
        job._partitioning = partitioning;
        job._completedParts = 0;
        job._parts = parts;
        job._participants = parts;
        Volatile.Write(ref job._nextPart, 0);
        for (int i = 1; i < parts; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        }

        job.Work();
        var spin = default(SpinWait);
        while (Volatile.Read(ref job._completedParts) < parts)
        {
            spin.SpinOnce();
        }

        job.Leave();
    }

    void IThreadPoolWorkItem.Execute()
    {
        Work();
        Leave();
    }

    // Workers that start late find no part left; the last one out makes the job reusable.
    private void Leave()
    {
        if (Interlocked.Decrement(ref _participants) == 0)
        {
            lock (Pool)
            {
                Pool.Push(this);
            }
        }
    }

    private static GemmJob Rent()
    {
        lock (Pool)
        {
            if (Pool.TryPop(out var job))
            {
                return job;
            }
        }

        return new GemmJob();
    }

    private void Work()
    {
        int parts = Volatile.Read(ref _parts);
        int part;
        while ((part = Interlocked.Increment(ref _nextPart) - 1) < parts)
        {
            Compute(part, parts);
            Interlocked.Increment(ref _completedParts);
        }
    }

    private void Compute(int part, int parts)
    {
        switch (_partitioning)
        {
            case GemmPartitioning.SmallMColumns:
            {
                var (j0, j1) = Split(_op.N, SmallMGemm.BlockRows, part, parts);
                SmallMGemm.ComputeColumns(_kernel, _op, j0, j1);
                break;
            }

            case GemmPartitioning.Columns:
            {
                var (j0, j1) = Split(_op.N, _kernel.NR, part, parts);
                BlockedGemm.ComputeTile(_kernel, _op, 0, _op.M, j0, j1);
                break;
            }

            default:
            {
                var (i0, i1) = Split(_op.M, _kernel.MR, part, parts);
                BlockedGemm.ComputeTile(_kernel, _op, i0, i1, 0, _op.N);
                break;
            }
        }
    }

    // Range `part` of `parts` over [0, count), boundaries rounded to multiples of `unit`.
    private static (int Start, int End) Split(int count, int unit, int part, int parts)
    {
        long units = (count + unit - 1) / unit;
        int start = (int)Math.Min(count, units * part / parts * unit);
        int end = (int)Math.Min(count, units * (part + 1) / parts * unit);
        return (start, end);
    }
}
