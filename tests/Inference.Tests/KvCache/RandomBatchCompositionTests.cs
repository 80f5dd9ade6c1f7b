using LlmServe.Inference.Backends;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.Inference.Tests.Support;

namespace LlmServe.Inference.Tests.KvCache;

/// <summary>
/// Greedy generation of many sequences in steps of random composition (arrivals, chunked prefills next to decodes,
/// blocks drawn from a shuffled free list and reused after a sequence ends) gives each sequence the logits it gets
/// alone, to rounding: one row's result depends on nothing but its own sequence, whatever kernel path the step's row
/// count selects.
/// </summary>
public sealed class RandomBatchCompositionTests
{
    private const int BlockSize = 16;
    private const int NumBlocks = 512;
    private const double Tolerance = 1e-4;

    [Fact]
    public void Every_sequence_gets_its_alone_logits_whatever_its_batch_mates_chunks_and_blocks()
    {
        // The served demo model's shape: wide enough for the blocked GEMM (more than 16 rows) and prefill attention.
        using var tmp = new TempModel(new TinyModelSpec { Seed = 11, VocabSize = 448, HiddenSize = 128, IntermediateSize = 256, MaxPositionEmbeddings = 1024 });
        using var model = LlamaModel.Load(tmp.Directory, new CpuBackend(new BackendOptions { Threads = 1 }),
            new ModelLoadOptions { MaxBatchTokens = 512, MaxSeqs = 64 });
        using var cache = model.AllocateKvCache(NumBlocks, BlockSize);
        var builder = new StepBatchBuilder(512, 64, model.MaxModelLength / BlockSize, BlockSize);
        var random = new Random(43);
        var work = Enumerable.Range(0, 48).Select(_ =>
        {
            int length = random.Next(1, 10) == 1 ? random.Next(100, 300) : random.Next(2, 40);
            return (Prompt: Enumerable.Range(0, length).Select(_ => random.Next(0, 256)).ToArray(), MaxTokens: random.Next(2, 24));
        }).ToArray();
        var alone = work.Select(w => Alone(model, cache, builder, w.Prompt, w.MaxTokens)).ToArray();

        for (int trial = 0; trial < 4; trial++)
        {
            var steps = new Random(trial);
            var free = new Stack<int>(Enumerable.Range(0, NumBlocks).OrderBy(_ => steps.Next()));
            var waiting = new Queue<Sequence>(work.Select((w, i) => new Sequence(i, w.Prompt, w.MaxTokens)));
            var running = new List<Sequence>();
            while (waiting.Count > 0 || running.Count > 0)
            {
                for (int arrivals = steps.Next(0, 6); arrivals > 0 && waiting.Count > 0; arrivals--)
                {
                    running.Add(waiting.Dequeue());
                }
                if (running.Count == 0)
                {
                    continue;
                }
                // Mostly the full budget; sometimes a small one, so prompts are cut into odd chunks.
                int budget = steps.Next(0, 3) == 0 ? steps.Next(1, 64) : 512;
                builder.Clear();
                var stepRows = new List<(Sequence Seq, int Tokens, bool Samples)>();
                foreach (var seq in running)
                {
                    int n = Math.Min(seq.Tokens.Count - seq.Computed, budget);
                    if (n <= 0)
                    {
                        continue;
                    }
                    while (seq.Blocks.Count * BlockSize < seq.Computed + n)
                    {
                        seq.Blocks.Add(free.Pop());
                    }
                    bool samples = seq.Computed + n == seq.Tokens.Count;
                    builder.AddSequence(seq.Tokens.GetRange(seq.Computed, n).ToArray(), seq.Computed, seq.Blocks.ToArray(), samples);
                    stepRows.Add((seq, n, samples));
                    budget -= n;
                }
                var logits = Forward(model, cache, builder, stepRows.Count(r => r.Samples));
                int row = 0;
                foreach (var (seq, n, samples) in stepRows)
                {
                    seq.Computed += n;
                    if (!samples)
                    {
                        continue;
                    }
                    var expected = alone[seq.Index][seq.Generated];
                    LogitAssert.Close(expected, logits[row++], Tolerance, $"trial {trial}, sequence {seq.Index}, token {seq.Generated}");
                    // Feed the alone run's token, so a near-tie flip could not hide later differences.
                    seq.Tokens.Add(ArgMax(expected));
                    seq.Generated++;
                }
                foreach (var done in running.Where(s => s.Generated == s.MaxTokens).ToList())
                {
                    running.Remove(done);
                    done.Blocks.ForEach(free.Push);
                }
            }
        }
    }

    // The whole prompt in one step, then one token per step, in blocks 0, 1, 2...
    private static List<float[]> Alone(LlamaModel model, BackendKvCache cache, StepBatchBuilder builder, int[] prompt, int maxTokens)
    {
        var tokens = prompt.ToList();
        var blocks = Enumerable.Range(0, (prompt.Length + maxTokens + BlockSize - 1) / BlockSize).ToArray();
        var rows = new List<float[]>();
        int computed = 0;
        while (rows.Count < maxTokens)
        {
            builder.Clear();
            builder.AddSequence(tokens.GetRange(computed, tokens.Count - computed).ToArray(), computed, blocks, wantLogits: true);
            computed = tokens.Count;
            var logits = Forward(model, cache, builder, 1)[0];
            rows.Add(logits);
            tokens.Add(ArgMax(logits));
        }
        return rows;
    }

    private static float[][] Forward(LlamaModel model, BackendKvCache cache, StepBatchBuilder builder, int logitRows)
    {
        model.Forward(builder.Build(), cache);
        var all = new float[logitRows * model.VocabSize];
        model.ReadLogits(all);
        return Enumerable.Range(0, logitRows).Select(i => all.AsSpan(i * model.VocabSize, model.VocabSize).ToArray()).ToArray();
    }

    private static int ArgMax(float[] row) => Array.IndexOf(row, row.Max());

    private sealed class Sequence(int index, int[] prompt, int maxTokens)
    {
        public int Index { get; } = index;

        public List<int> Tokens { get; } = [.. prompt];

        public int MaxTokens { get; } = maxTokens;

        public int Computed { get; set; }

        public int Generated { get; set; }

        public List<int> Blocks { get; } = [];
    }
}
