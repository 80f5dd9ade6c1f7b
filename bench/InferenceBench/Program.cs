using System.Diagnostics;
using System.Globalization;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Models;
using LlmServe.InferenceBench;

// Usage: dotnet run -c Release --project bench/InferenceBench [-- --quick] [--threads N]
// Writes a random ~100M-parameter Llama (hidden 768, 12 layers, GQA 12/4, vocab 32000, tied embeddings)
// to a temp directory, loads it on the CPU backend and times prefill and decode forward passes.
bool quick = args.Contains("--quick");
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
    using var backend = new CpuBackend(new LlmServe.Inference.Backends.BackendOptions { Threads = threads });
    using var model = LlamaModel.Load(dir, backend, new ModelLoadOptions { MaxBatchTokens = 512, MaxSeqs = 16, MaxModelLength = 1024 });
    Console.WriteLine($"loaded in {watch.Elapsed.TotalSeconds:F1} s; CPU backend on {backend.Threads} threads, {Environment.ProcessorCount} cores");
    var bench = new ForwardBenchmark(model, maxSeqs: 16, maxContext: 1024);

    // Warm-up: JIT tiers and GEMM scratch buffers.
    bench.Prefill(64, 1);
    bench.Decode(2, 16, 2);

    int reps = quick ? 1 : 3;
    var rows = new List<(string Shape, double TokensPerSecond)>
    {
        ("prefill 128 tokens, 1 sequence", bench.Prefill(128, reps)),
        ("prefill 512 tokens, 1 sequence", bench.Prefill(512, reps)),
        ("decode batch 1, context 128", bench.Decode(1, 128, quick ? 4 : 32)),
        ("decode batch 16, context 128", bench.Decode(16, 128, quick ? 2 : 16)),
    };
    Console.WriteLine();
    Console.WriteLine($"| {"shape",-34} | {"tokens/s",10} | {"ms/step",9} |");
    Console.WriteLine($"| {new string('-', 34)} | {new string('-', 10)} | {new string('-', 9)} |");
    foreach (var (shape, tps) in rows)
    {
        int tokensPerStep = shape.StartsWith("prefill 128", StringComparison.Ordinal) ? 128
            : shape.StartsWith("prefill 512", StringComparison.Ordinal) ? 512
            : shape.Contains("batch 16", StringComparison.Ordinal) ? 16 : 1;
        Console.WriteLine($"| {shape,-34} | {tps,10:F1} | {tokensPerStep * 1000 / tps,9:F1} |");
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}
