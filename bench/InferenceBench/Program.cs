using System.Diagnostics;
using System.Globalization;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.InferenceBench;

// Usage: dotnet run -c Release --project bench/InferenceBench [-- --quick] [--threads N] [--no-pack] | [-- --sampling]
// Writes a random ~100M-parameter Llama (hidden 768, 12 layers, GQA 12/4, vocab 32000, tied embeddings)
// to a temp directory, loads it on the CPU backend and times prefill and decode forward passes.
if (args.Contains("--sampling"))
{
    SamplingBenchmark.Run(reps: 5);
    return;
}

bool quick = args.Contains("--quick");
bool pack = !args.Contains("--no-pack");
int threads = args.SkipWhile(a => a != "--threads").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault();
var spec = new TinyModelSpec
{
    Architecture = ModelArchitecture.Llama,
    VocabSize = 32000,
    HiddenSize = 768,
    IntermediateSize = 2048,
    NumLayers = quick ? 2 : 12,
    NumHeads = 12,
    NumKvHeads = 4,
    MaxPositionEmbeddings = 4096,
    TieWordEmbeddings = true,
    WeightStd = 0.02f,
    Seed = 42,
};
var dir = Path.Combine(Path.GetTempPath(), $"llmserve-bench-{Environment.ProcessId}");
try
{
    var watch = Stopwatch.StartNew();
    RandomCheckpointWriter.Write(dir, spec);
    Console.WriteLine($"model: Llama {spec.ParameterCount / 1e6:F1}M params fp32, {spec.NumLayers} layers, hidden {spec.HiddenSize}; written in {watch.Elapsed.TotalSeconds:F1} s");
    watch.Restart();
    using var backend = new CpuBackend(new LlmServe.Inference.Backends.BackendOptions { Threads = threads }, pack);
    using var model = LlamaModel.Load(dir, backend, new ModelLoadOptions { MaxBatchTokens = 512, MaxSeqs = 16, MaxModelLength = 1024 });
    Console.WriteLine($"loaded in {watch.Elapsed.TotalSeconds:F1} s; CPU backend on {backend.Threads} threads, {Environment.ProcessorCount} cores, packed prefill weights: {pack}");
    var bench = new ForwardBenchmark(model, maxSeqs: 16, maxContext: 1024);

    // Warm-up: JIT tiers and GEMM scratch buffers.
    bench.Prefill(64, 1);
    bench.Decode(2, 16, 2);

    int reps = quick ? 1 : 3;
    var rows = new List<(string Shape, int TokensPerStep, double TokensPerSecond, TimeSpan CpuPerStep)>();
    void Measure(string shape, int tokensPerStep, Func<double> run)
    {
        double tps = run();
        rows.Add((shape, tokensPerStep, tps, bench.LastCpuTime));
    }

    Measure("prefill 128 tokens, 1 sequence", 128, () => bench.Prefill(128, reps));
    Measure("prefill 512 tokens, 1 sequence", 512, () => bench.Prefill(512, reps));
    Measure("decode batch 1, context 128", 1, () => bench.Decode(1, 128, quick ? 4 : 32));
    Measure("decode batch 16, context 128", 16, () => bench.Decode(16, 128, quick ? 2 : 16));

    // Wall time suffers when other processes share the cores; CPU time (all our threads) shows the work itself.
    Console.WriteLine();
    Console.WriteLine($"load average at the end: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    Console.WriteLine($"| {"shape",-32} | {"tokens/s",9} | {"ms/step",8} | {"CPU ms/step",11} | {"tokens/CPU-s",12} |");
    Console.WriteLine($"| {new string('-', 32)} | {new string('-', 9)} | {new string('-', 8)} | {new string('-', 11)} | {new string('-', 12)} |");
    foreach (var (shape, perStep, tps, cpu) in rows)
    {
        Console.WriteLine($"| {shape,-32} | {tps,9:F1} | {perStep * 1000 / tps,8:F1} | {cpu.TotalMilliseconds,11:F1} | {perStep / cpu.TotalSeconds,12:F1} |");
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}
