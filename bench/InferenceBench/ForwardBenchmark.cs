using System.Diagnostics;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Models;

namespace LlmServe.InferenceBench;

/// <summary>Times LlamaModel.Forward (embedding → layers → lm-head of the sampled rows; no sampling) for prefill and decode shapes.</summary>
internal sealed class ForwardBenchmark
{
    private readonly LlamaModel _model;
    private readonly BackendKvCache _cache;
    private readonly StepBatchBuilder _builder;
    private readonly int _blocksPerSeq;

    public ForwardBenchmark(LlamaModel model, int maxSeqs, int maxContext)
    {
        _model = model;
        _blocksPerSeq = (maxContext + 15) / 16;
        _cache = model.AllocateKvCache(_blocksPerSeq * maxSeqs);
        _builder = new StepBatchBuilder(model.MaxBatchTokens, maxSeqs, _blocksPerSeq, 16);
    }

    /// <summary>Process CPU time (all threads) spent inside the timed forward passes of the last measurement.</summary>
    public TimeSpan LastCpuTime { get; private set; }

    /// <summary>Prefill of one <paramref name="promptLength"/>-token prompt in one step; tokens/s over <paramref name="repeats"/>.</summary>
    public double Prefill(int promptLength, int repeats)
    {
        var prompt = Tokens(promptLength, 1);
        var table = Table(0);
        var watch = new Stopwatch();
        var cpu = TimeSpan.Zero;
        for (int r = 0; r < repeats; r++)
        {
            _builder.Clear();
            _builder.AddSequence(prompt, 0, table, wantLogits: true);
            var cpuStart = CpuNow();
            watch.Start();
            _model.Forward(_builder.Build(), _cache);
            watch.Stop();
            cpu += CpuNow() - cpuStart;
        }

        LastCpuTime = cpu / repeats;

        return promptLength * (double)repeats / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Decode of <paramref name="batch"/> sequences after <paramref name="contextLength"/>-token prompts; tokens/s over <paramref name="steps"/> steps.</summary>
    public double Decode(int batch, int contextLength, int steps)
    {
        for (int s = 0; s < batch; s++)
        {
            _builder.Clear();
            _builder.AddSequence(Tokens(contextLength, s + 2), 0, Table(s), wantLogits: false);
            _model.Forward(_builder.Build(), _cache);
        }

        int[] next = [7];
        var cpuStart = CpuNow();
        var watch = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
        {
            _builder.Clear();
            for (int s = 0; s < batch; s++)
            {
                _builder.AddSequence(next, contextLength + step, Table(s), wantLogits: true);
            }

            _model.Forward(_builder.Build(), _cache);
        }

        watch.Stop();
        LastCpuTime = (CpuNow() - cpuStart) / steps;
        return batch * (double)steps / watch.Elapsed.TotalSeconds;
    }

    private static TimeSpan CpuNow() => Process.GetCurrentProcess().TotalProcessorTime;

    private int[] Table(int seq) => Enumerable.Range(seq * _blocksPerSeq, _blocksPerSeq).ToArray();

    private int[] Tokens(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(3, _model.VocabSize)).ToArray();
    }
}
