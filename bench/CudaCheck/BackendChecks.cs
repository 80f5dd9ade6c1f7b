using System.Text.Json;
using LlmServe.Cuda.Backend;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;

namespace LlmServe.CudaCheck;

/// <summary>
/// The CUDA backend against the CPU backend on the tiny reference checkpoints: same weights, same steps (mixed
/// prefill + chunked prefill over a cached prefix + decode, then 24 decode steps of the whole batch, which the CUDA
/// backend replays from a graph). Logits must agree within 2e-2 relative per row and greedy tokens must be identical.
/// </summary>
internal sealed class BackendChecks(CudaBackend cuda, Report report)
{
    private const int DecodeSteps = 24;
    private const int BlockSize = 16;
    private const int BlocksPerSeq = 16;

    public void Run(string fixturesDirectory)
    {
        if (!Directory.Exists(fixturesDirectory))
        {
            report.Check("backend vs CPU", false, $"no fixtures at {fixturesDirectory}");
            return;
        }

        foreach (var dir in Directory.GetDirectories(fixturesDirectory).Order(StringComparer.Ordinal))
        {
            if (File.Exists(Path.Combine(dir, "config.json")))
            {
                try
                {
                    RunModel(dir);
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException or LlmServe.Cuda.CudaException or NotSupportedException)
                {
                    report.Check($"backend cuda vs cpu {Path.GetFileName(dir)}", false, e.ToString());
                }
            }
        }
    }

    private void RunModel(string dir)
    {
        string name = Path.GetFileName(dir);
        var prompts = ReadPrompts(dir, out var expectedGreedy);
        var options = new ModelLoadOptions { MaxBatchTokens = 256, MaxSeqs = 8 };
        using var cpuBackend = new CpuBackend(new BackendOptions());
        using var cpuModel = LlamaModel.Load(dir, cpuBackend, options);
        using var gpuModel = LlamaModel.Load(dir, cuda, options);
        int vocab = cpuModel.VocabSize;
        var rng = new Random(name.Length * 7919);
        var longPrompt = Enumerable.Range(0, 150).Select(_ => rng.Next(vocab)).ToArray();
        var seqs = prompts.Select(p => p.ToList()).Append(longPrompt.ToList()).ToList();
        int n = seqs.Count;
        using var cpuCache = cpuModel.AllocateKvCache(n * BlocksPerSeq, BlockSize);
        using var gpuCache = gpuModel.AllocateKvCache(n * BlocksPerSeq, BlockSize);
        var builder = new StepBatchBuilder(256, 8, BlocksPerSeq, BlockSize);
        var cached = new int[n];
        double worst = 0;
        int mismatches = 0, steps = 0;
        var greedy = new List<int>[n];
        for (int s = 0; s < n; s++)
        {
            greedy[s] = [];
        }

        // Step A: whole short prompts + the long prompt's first chunk (no logits for it).
        // Step B: the long prompt's second chunk over its cached prefix. Step C: its tail + decodes of the others.
        var plan = new List<List<(int Seq, int Count, bool Logits)>>
        {
            prompts.Select((p, i) => (i, p.Length, true)).Append((n - 1, 64, false)).ToList(),
            new List<(int Seq, int Count, bool Logits)> { (n - 1, 64, false) },
            prompts.Select((_, i) => (i, 1, true)).Append((n - 1, 22, true)).ToList(),
        };
        for (int d = 0; d < DecodeSteps; d++)
        {
            // The last 12 steps leave one sequence out, so the graph bucket pads a row.
            plan.Add(Enumerable.Range(0, d < 12 ? n : n - 1).Select(i => (i, 1, true)).ToList());
        }

        foreach (var step in plan)
        {
            builder.Clear();
            var logitSeqs = new List<int>();
            foreach (var (seq, count, logits) in step)
            {
                var tokens = seqs[seq].Skip(cached[seq]).Take(count).ToArray();
                var table = Enumerable.Range(seq * BlocksPerSeq, BlocksPerSeq).ToArray();
                builder.AddSequence(tokens, cached[seq], table, logits);
                cached[seq] += count;
                if (logits)
                {
                    logitSeqs.Add(seq);
                }
            }

            var batch = builder.Build();
            cpuModel.Forward(batch, cpuCache);
            gpuModel.Forward(batch, gpuCache);
            var a = new float[logitSeqs.Count * vocab];
            var b = new float[logitSeqs.Count * vocab];
            cpuModel.ReadLogits(a);
            gpuModel.ReadLogits(b);
            for (int r = 0; r < logitSeqs.Count; r++)
            {
                var cmp = Compare.Of(b.AsSpan(r * vocab, vocab), a.AsSpan(r * vocab, vocab));
                worst = Math.Max(worst, cmp.NonFinite > 0 ? double.PositiveInfinity : cmp.RelError);
                int ta = ArgMax(a.AsSpan(r * vocab, vocab)), tb = ArgMax(b.AsSpan(r * vocab, vocab));
                if (ta != tb)
                {
                    mismatches++;
                    var row = a.AsSpan(r * vocab, vocab);
                    report.Line($"  greedy mismatch {name} seq {logitSeqs[r]} step {steps}: cpu {ta} ({row[ta]:F5}) vs cuda {tb} (cpu logit {row[tb]:F5}, cuda {b[(r * vocab) + tb]:F5} / {b[(r * vocab) + ta]:F5})");
                }

                int seq = logitSeqs[r];
                if (cached[seq] == seqs[seq].Count)
                {
                    seqs[seq].Add(ta);
                    greedy[seq].Add(ta);
                }
            }

            steps++;
        }

        int agreeHf = 0, totalHf = 0;
        for (int s = 0; s < expectedGreedy.Count; s++)
        {
            for (int i = 0; i < Math.Min(expectedGreedy[s].Length, greedy[s].Count); i++)
            {
                totalHf++;
                if (expectedGreedy[s][i] == greedy[s][i])
                {
                    agreeHf++;
                }
            }
        }

        report.Check($"backend cuda vs cpu {name}", worst <= 2e-2 && mismatches == 0,
            $"{steps} steps, {n} seqs, worst logits rel err {worst:E2}, greedy mismatches {mismatches}, generated {greedy[0].Count} tokens/seq; " +
            $"CPU greedy vs transformers {agreeHf}/{totalHf}; graphs captured {cuda.CapturedGraphs}");
    }

    /// <summary>Index of the largest value (the first of equals): the greedy token of a logits row.</summary>
    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static int[][] ReadPrompts(string dir, out List<int[]> greedy)
    {
        greedy = [];
        var path = Path.Combine(dir, "expected.json");
        if (!File.Exists(path))
        {
            return [[1, 2, 3], [4, 5]];
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var prompts = new List<int[]>();
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            prompts.Add([.. c.GetProperty("prompt").EnumerateArray().Select(e => e.GetInt32())]);
            greedy.Add(c.TryGetProperty("greedy", out var g) ? [.. g.EnumerateArray().Select(e => e.GetInt32())] : []);
        }

        return [.. prompts];
    }
}
