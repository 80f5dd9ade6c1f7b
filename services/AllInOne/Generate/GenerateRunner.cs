using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Engine;
using LlmServe.Inference.Models;
using LlmServe.Inference.Sampling;
using LlmServe.Tokenization;
using Spectre.Console;

namespace LlmServe.AllInOne.Generate;

/// <summary>Runs `generate`: load, encode, generate, print. Bad input becomes a message and exit code 2.</summary>
internal static class GenerateRunner
{
    // Show a progress bar only when a run is long enough to wonder whether it is stuck.
    private const int ProgressThresholdTokens = 256;

    public static int Run(GenerateSettings settings, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return RunUnchecked(settings, stdout, stderr);
        }
        catch (Exception e) when (e is ModelLoadException or BackendNotAvailableException or ArgumentException or InvalidStepBatchException or TokenizerLoadException or IOException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static int RunUnchecked(GenerateSettings settings, TextWriter stdout, TextWriter stderr)
    {
        if (settings.PromptIds.Count == 0 && settings.Prompts.Count == 0)
        {
            throw new ArgumentException("give --prompt-ids or --prompt");
        }

        using var backend = BackendRegistry.Create(settings.Device, new BackendOptions { Threads = settings.Threads });
        HfTokenizer? tokenizer = LoadTokenizer(settings);
        var prompts = new List<IReadOnlyList<int>>(settings.PromptIds);
        foreach (var text in settings.Prompts)
        {
            if (tokenizer is null)
            {
                throw new ArgumentException($"--prompt needs a tokenizer.json in {settings.ModelDirectory} or --tokenizer");
            }

            prompts.Add(tokenizer.Encode(text));
        }

        var load = Stopwatch.StartNew();
        using var engine = LlmEngine.Load(settings.ModelDirectory, backend, new LlmEngineOptions
        {
            MaxSeqs = Math.Clamp(prompts.Count, 1, 256),
            MaxModelLength = settings.MaxModelLength,
        });
        load.Stop();
        var sampling = Sampling(settings, engine.Model.GenerationConfig);
        var run = Stopwatch.StartNew();
        var results = Generate(engine, prompts, sampling, settings, stderr);
        run.Stop();
        if (settings.Json)
        {
            WriteJson(stdout, results, tokenizer);
        }
        else
        {
            WriteText(stdout, results, tokenizer, load.Elapsed, run.Elapsed);
        }

        return 0;
    }

    private static HfTokenizer? LoadTokenizer(GenerateSettings settings)
    {
        var path = settings.TokenizerPath ?? Path.Combine(settings.ModelDirectory, "tokenizer.json");
        if (File.Exists(path))
        {
            return HfTokenizer.Load(path);
        }

        return settings.TokenizerPath is null ? null : throw new ArgumentException($"tokenizer not found: {path}");
    }

    private static SamplingOptions Sampling(GenerateSettings s, GenerationConfig defaults) => new()
    {
        // Like vLLM, unspecified settings fall back to generation_config.json.
        Temperature = s.Temperature ?? defaults.Temperature ?? 1f,
        TopP = s.TopP ?? defaults.TopP ?? 1f,
        TopK = s.TopK ?? defaults.TopK ?? 0,
        Seed = s.Seed,
        MaxTokens = s.MaxTokens,
        IgnoreEos = s.IgnoreEos,
        Logprobs = true,
        TopLogprobs = s.TopLogprobs,
    };

    private static IReadOnlyList<GenerationResult> Generate(LlmEngine engine, List<IReadOnlyList<int>> prompts, SamplingOptions sampling, GenerateSettings settings, TextWriter stderr)
    {
        int total = prompts.Count * settings.MaxTokens;
        if (total < ProgressThresholdTokens || Console.IsErrorRedirected)
        {
            return engine.Generate(prompts, sampling);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stderr) });
        IReadOnlyList<GenerationResult> results = [];
        console.Progress().Start(ctx =>
        {
            var task = ctx.AddTask("generating", maxValue: total);
            results = engine.Generate(prompts, sampling, new Progress<int>(n => task.Value = n));
            task.Value = total;
        });
        return results;
    }

    private static void WriteJson(TextWriter stdout, IReadOnlyList<GenerationResult> results, HfTokenizer? tokenizer)
    {
        using var buffer = new MemoryStream();
        // Generated text is for people to read: keep non-ASCII characters as UTF-8 instead of \u escapes.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (results.Count == 1)
            {
                WriteResult(json, results[0], tokenizer);
            }
            else
            {
                json.WriteStartObject();
                json.WriteStartArray("results");
                foreach (var r in results)
                {
                    WriteResult(json, r, tokenizer);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }
        }

        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteResult(Utf8JsonWriter json, GenerationResult r, HfTokenizer? tokenizer)
    {
        json.WriteStartObject();
        json.WriteStartArray("prompt_token_ids");
        foreach (int id in r.PromptTokenIds)
        {
            json.WriteNumberValue(id);
        }

        json.WriteEndArray();
        json.WriteStartArray("token_ids");
        foreach (int id in r.TokenIds)
        {
            json.WriteNumberValue(id);
        }

        json.WriteEndArray();
        json.WriteStartArray("logprobs");
        foreach (float lp in r.Logprobs)
        {
            json.WriteNumberValue(lp);
        }

        json.WriteEndArray();
        if (r.TopLogprobs.Any(t => t.Count > 0))
        {
            json.WriteStartArray("top_logprobs");
            foreach (var alternatives in r.TopLogprobs)
            {
                json.WriteStartObject();
                foreach (var alt in alternatives)
                {
                    json.WriteNumber(alt.TokenId.ToString(System.Globalization.CultureInfo.InvariantCulture), alt.Logprob);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteString("finish_reason", r.FinishReason == FinishReason.Stop ? "stop" : "length");
        if (tokenizer is not null)
        {
            json.WriteString("text", tokenizer.Decode(r.TokenIds.ToArray()));
        }

        json.WriteEndObject();
    }

    private static void WriteText(TextWriter stdout, IReadOnlyList<GenerationResult> results, HfTokenizer? tokenizer, TimeSpan load, TimeSpan run)
    {
        int generated = results.Sum(r => r.TokenIds.Count);
        for (int i = 0; i < results.Count; i++)
        {
            var r = results[i];
            stdout.WriteLine($"[{i}] {(tokenizer is null ? string.Join(',', r.TokenIds) : tokenizer.Decode(r.TokenIds.ToArray()))}  ({r.FinishReason.ToString().ToLowerInvariant()})");
        }

        stdout.WriteLine($"loaded in {load.TotalSeconds:F2} s; {generated} tokens in {run.TotalSeconds:F2} s ({generated / Math.Max(run.TotalSeconds, 1e-9):F1} tok/s)");
    }
}
