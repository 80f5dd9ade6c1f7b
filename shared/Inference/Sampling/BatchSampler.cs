namespace LlmServe.Inference.Sampling;

/// <summary>
/// Samples one token per row of a step's logits with each row's own <see cref="SequenceSampler"/>. Rows are
/// independent (own sampler, own seed), so a large step is split over threads: at 256 rows of a 128k vocabulary
/// the logits are 131 MB, and one thread scanning them would add tens of milliseconds to every decode step.
/// </summary>
/// <remarks>Not thread-safe: one instance per stage runtime, used by one step at a time.</remarks>
public sealed class BatchSampler
{
    private readonly long _minElementsPerTask;
    private readonly int _maxTasks;
    private readonly Action<int> _runTask;
    private SequenceSampler[] _samplers = [];
    private float[] _logits = [];
    private SampledToken[] _results = [];
    private int _rows;
    private int _vocab;
    private int _tasks;

    /// <param name="minElementsPerTask">Logits one task scans at least; below twice this a step runs on the caller's thread.</param>
    /// <param name="maxTasks">Most tasks one step is split into (default: the processor count).</param>
    public BatchSampler(long minElementsPerTask = 1 << 20, int maxTasks = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minElementsPerTask, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTasks);
        _minElementsPerTask = minElementsPerTask;
        _maxTasks = maxTasks == 0 ? Environment.ProcessorCount : maxTasks;
        _runTask = RunTask; // one delegate for the sampler's life, not one per step
    }

    /// <summary>
    /// Samples row <c>i</c> of <paramref name="logits"/> (row-major, <paramref name="vocab"/> wide) with
    /// <c>samplers[i]</c> into <c>results[i]</c> for the first <paramref name="rows"/> rows. Rows are changed in place
    /// (penalties, temperature), as <see cref="SequenceSampler.Sample"/> does. Samplers are not told the token.
    /// </summary>
    public void Sample(SequenceSampler[] samplers, int rows, float[] logits, int vocab, SampledToken[] results)
    {
        ArgumentNullException.ThrowIfNull(samplers);
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocab, 1);
        if (samplers.Length < rows || results.Length < rows || (long)logits.Length < (long)rows * vocab)
        {
            throw new ArgumentException($"{rows} rows need {rows} samplers and results and {(long)rows * vocab} logits.");
        }
        long elements = (long)rows * vocab;
        int tasks = (int)Math.Clamp(elements / _minElementsPerTask, 1, Math.Min(rows, _maxTasks));
        (_samplers, _logits, _results, _rows, _vocab, _tasks) = (samplers, logits, results, rows, vocab, tasks);
        try
        {
            if (tasks <= 1)
            {
                RunTask(0);
            }
            else
            {
                Parallel.For(0, tasks, _runTask);
            }
        }
        finally
        {
            (_samplers, _logits, _results) = ([], [], []);
        }
    }

    // Task k takes a contiguous share of rows, so each thread streams its own part of the logits.
    private void RunTask(int task)
    {
        int first = (int)((long)_rows * task / _tasks);
        int end = (int)((long)_rows * (task + 1) / _tasks);
        for (int row = first; row < end; row++)
        {
            _results[row] = _samplers[row].Sample(_logits.AsSpan(row * _vocab, _vocab));
        }
    }
}
