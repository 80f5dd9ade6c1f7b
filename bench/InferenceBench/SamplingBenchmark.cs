using System.Diagnostics;
using System.Globalization;
using LlmServe.Inference.Sampling;

namespace LlmServe.InferenceBench;

/// <summary>
/// Time to sample one step's rows on the host, as the worker does after copying the logits back: greedy and
/// temperature/top-p rows of a Llama 3 vocabulary (128,256), one thread against <see cref="BatchSampler"/>'s split.
/// </summary>
internal static class SamplingBenchmark
{
    private const int Vocab = 128_256;

    public static void Run(int reps)
    {
        Console.WriteLine($"sampling: vocab {Vocab}, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| rows | sampling | scalar arg-max loop ms | 1 thread ms | BatchSampler ms | logits MB |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (int rows in new[] { 1, 64, 256 })
        {
            float[] logits = new float[rows * Vocab];
            var random = new Random(rows);
            for (int i = 0; i < logits.Length; i++)
            {
                logits[i] = (float)(random.NextDouble() * 20 - 10);
            }
            foreach (bool greedy in new[] { true, false })
            {
                var options = greedy ? SamplingOptions.Greedy : new SamplingOptions { Temperature = 0.8f, TopP = 0.95f, Seed = 1 };
                SequenceSampler[] samplers = [.. Enumerable.Range(0, rows).Select(_ => new SequenceSampler(options, [2], [], []))];
                var results = new SampledToken[rows];
                double scalar = greedy ? Time(reps, () => ScalarArgMaxAll(logits, rows)) : double.NaN;
                // No penalties or bias: sampling leaves the logits as they are, so every run sees the same rows.
                double single = Time(reps, () => new BatchSampler(long.MaxValue).Sample(samplers, rows, logits, Vocab, results));
                double split = Time(reps, () => new BatchSampler().Sample(samplers, rows, logits, Vocab, results));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {rows} | {(greedy ? "greedy" : "T=0.8, top-p 0.95")} | {(greedy ? scalar.ToString("F2", CultureInfo.InvariantCulture) : "—")} | {single:F2} | {split:F2} | {rows * (long)Vocab * 4 / 1e6:F1} |"));
            }
        }
    }

    // The arg-max the sampler used before it called TensorPrimitives.IndexOfMax.
    private static int ScalarArgMaxAll(float[] logits, int rows)
    {
        int sum = 0;
        for (int r = 0; r < rows; r++)
        {
            int best = 0;
            float bestValue = logits[r * Vocab];
            for (int i = 1; i < Vocab; i++)
            {
                if (logits[(r * Vocab) + i] > bestValue)
                {
                    bestValue = logits[(r * Vocab) + i];
                    best = i;
                }
            }
            sum += best;
        }
        return sum;
    }

    // Best of reps, in ms: the machine may be shared, and the minimum is the least disturbed run.
    private static double Time(int reps, Action run)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return best;
    }
}
