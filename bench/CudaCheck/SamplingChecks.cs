using System.Diagnostics;
using System.Globalization;
using LlmServe.Cuda.Kernels;
using LlmServe.Inference.Sampling;

namespace LlmServe.CudaCheck;

/// <summary>
/// The sampling kernel (sample_rows) against its host definition, DeviceDraw: on random rows of several vocabularies
/// with every option alone and together (greedy with a planted tie, temperature, top-k incl. 1 and ≥ vocab, top-p,
/// min-p, masked tokens, a NaN row, an all -inf row), the same token in every row, over many steps and seeds. Then
/// its time for 256 rows of a 128k vocabulary beside the logits' copy to the host that it replaces.
/// </summary>
internal sealed class SamplingChecks(Gpu gpu, Report report)
{
    private readonly RandomData _random = new(777);

    public void RunAll()
    {
        foreach (var vocab in new[] { 1000, 32000, 128256, 151936 })
        {
            var draws = Draws(vocab);
            int rows = draws.Length;
            float[] logits = _random.Uniform((long)rows * vocab, 6f);
            // Row 0 (greedy): a tie at the maximum, the lower index must win. Row 2: a third of the tokens masked.
            logits[11] = 50f;
            logits[5] = 50f;
            for (int i = 0; i < vocab; i += 3)
            {
                logits[(2 * vocab) + i] = float.NegativeInfinity;
            }

            // The last two rows have no token: one NaN, then only -inf.
            logits[((rows - 2) * vocab) + (vocab / 2)] = float.NaN;
            Array.Fill(logits, float.NegativeInfinity, (rows - 1) * vocab, vocab);
            int[] got = Sample(logits, rows, vocab, draws);
            int differ = 0;
            var detail = new List<string>();
            for (int r = 0; r < rows; r++)
            {
                int expected = DeviceDraw.Draw(logits.AsSpan(r * vocab, vocab), draws[r]);
                if (got[r] != expected)
                {
                    differ++;
                    if (detail.Count < 6)
                    {
                        detail.Add($"row {r} ({Describe(draws[r])}): {got[r]} vs {expected}");
                    }
                }
            }

            report.Check($"sample_rows vocab={vocab}: {rows} rows equal DeviceDraw's tokens", differ == 0 && got[0] == 5 && got[rows - 1] == -1 && got[rows - 2] == -1,
                differ == 0 ? $"greedy tie -> {got[0]}, NaN row -> {got[rows - 2]}, -inf row -> {got[rows - 1]}" : string.Join("; ", detail));
        }

        gpu.FreeAll();
        Timing();
    }

    // One row per option set, then many steps of the common settings (each step draws anew).
    private static DeviceDrawParams[] Draws(int vocab)
    {
        var list = new List<DeviceDrawParams>
        {
            DeviceDrawParams.Greedy,
            Sampled(1, 0, 1f),
            Sampled(2, 0, 0.7f, topK: 50),
            Sampled(3, 0, 1f, topK: 1),
            Sampled(4, 0, 1f, topK: vocab + 5),
            Sampled(5, 0, 0.8f, topP: 0.9f),
            Sampled(6, 0, 1.3f, topP: 0.3f),
            Sampled(7, 0, 0.6f, minP: 0.05f),
            Sampled(8, 0, 0.9f, topK: 100, topP: 0.5f, minP: 0.1f),
            Sampled(9, 0, 2f, topK: 1000, topP: 0.99f),
        };
        for (int step = 0; step < 40; step++)
        {
            list.Add(Sampled(1000 + (ulong)step, step, 0.8f, topP: 0.95f));
            list.Add(Sampled(99, step, 1f, topK: 40));
        }

        list.Add(Sampled(10, 0, 1f));   // the NaN row
        list.Add(Sampled(11, 0, 1f));   // the -inf row
        return [.. list];
    }

    private static DeviceDrawParams Sampled(ulong seed, long step, float temperature, int topK = 0, float topP = 1f, float minP = 0f) =>
        new() { Seed = seed, Step = step, InverseTemperature = 1f / temperature, TopK = topK, TopP = topP, MinP = minP };

    private static string Describe(DeviceDrawParams d) =>
        string.Create(CultureInfo.InvariantCulture, $"1/T {d.InverseTemperature:G3} k {d.TopK} p {d.TopP} min_p {d.MinP} seed {d.Seed} step {d.Step}");

    private int[] Sample(float[] logits, int rows, int vocab, DeviceDrawParams[] draws)
    {
        ulong dl = gpu.F32(logits);
        ulong args = gpu.Alloc((long)KernelLibrary.DrawArgsBytes * rows).Pointer;
        ulong tokens = gpu.Alloc(4L * rows).Pointer;
        gpu.Stream.Fill32(tokens, 0x7FFFFFFF, rows);
        gpu.Stream.CopyToDevice<DeviceDrawParams>(draws, args);
        gpu.Kernels.SampleRows(gpu.Stream, dl, rows, vocab, args, tokens);
        return gpu.ReadInts(tokens, rows);
    }

    private void Timing()
    {
        const int rows = 256, vocab = 128256;
        ulong dl = gpu.F32(_random.Uniform((long)rows * vocab, 6f));
        ulong args = gpu.Alloc((long)KernelLibrary.DrawArgsBytes * rows).Pointer;
        ulong tokens = gpu.Alloc(4L * rows).Pointer;
        foreach (var (name, draw) in new[] { ("temperature 0.8", Sampled(1, 0, 0.8f)), ("temperature 0.8, top-p 0.95", Sampled(1, 0, 0.8f, topP: 0.95f)), ("temperature 0.8, top-k 50, top-p 0.95", Sampled(1, 0, 0.8f, topK: 50, topP: 0.95f)) })
        {
            var draws = Enumerable.Repeat(draw, rows).ToArray();
            gpu.Stream.CopyToDevice<DeviceDrawParams>(draws, args);
            double ms = Time(() => gpu.Kernels.SampleRows(gpu.Stream, dl, rows, vocab, args, tokens), 20);
            report.Timing(string.Create(CultureInfo.InvariantCulture, $"sample M={rows} vocab {vocab} on the GPU ({name}): {ms * 1e3:F1} us"));
        }

        float[] host = new float[(long)rows * vocab];
        double copyMs = Time(() => gpu.Stream.CopyToHost<float>(dl, host), 5);
        report.Timing(string.Create(CultureInfo.InvariantCulture, $"logits of M={rows} vocab {vocab} to the host (what sampling there needs first): {copyMs * 1e3:F1} us for {(long)rows * vocab * 4 / 1e6:F0} MB"));
        gpu.FreeAll();
    }

    private double Time(Action launch, int repeats)
    {
        launch();
        gpu.Stream.Synchronize();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++)
        {
            launch();
        }

        gpu.Stream.Synchronize();
        return sw.Elapsed.TotalMilliseconds / repeats;
    }
}
