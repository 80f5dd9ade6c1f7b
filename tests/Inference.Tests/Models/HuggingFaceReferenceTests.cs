using System.Text.Json;
using LlmServe.Inference.Cpu;
using LlmServe.Inference.Engine;
using LlmServe.Inference.Models;
using LlmServe.Inference.Sampling;
using LlmServe.Inference.Tests.Support;

namespace LlmServe.Inference.Tests.Models;

/// <summary>
/// Our CPU forward pass against Hugging Face transformers 5.17 on the checked-in tiny checkpoints
/// (tests/fixtures/models, made by make_reference.py): last-position logits and 24 greedy tokens.
/// </summary>
public sealed class HuggingFaceReferenceTests
{
    public static TheoryData<string> Fixtures() => new(
        Directory.GetDirectories(RepositoryPaths.ModelFixtures)
            .Where(d => File.Exists(Path.Combine(d, "expected.json")))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Last_position_logits_match_transformers(string fixture)
    {
        var (dir, expected) = Load(fixture);
        using var model = LlamaModel.Load(dir, new CpuBackend(), new ModelLoadOptions { MaxBatchTokens = 64, MaxSeqs = 4 });
        using var cache = model.AllocateKvCache(16);
        var runner = new ModelRunner(model, cache);
        foreach (var c in expected.Cases)
        {
            var logits = runner.Prefill(c.Prompt, ModelRunner.Blocks(0, 4), c.Prompt.Length);

            // Weights widened to fp32 and computed in fp32 on both sides.
            LogitAssert.Close(c.Logits, logits, 1e-4, $"{fixture} prompt of {c.Prompt.Length}");
            if (c.LogitsNative is { } native)
            {
                // transformers computing natively in bf16 rounds every activation (8-bit mantissa), so the
                // error is measured against the row's largest logit.
                LogitAssert.CloseToScale(native, logits, 2e-2, $"{fixture} (native {expected.Dtype}) prompt of {c.Prompt.Length}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Greedy_tokens_match_transformers(string fixture)
    {
        var (dir, expected) = Load(fixture);
        using var engine = LlmEngine.Load(dir, new CpuBackend(), new LlmEngineOptions { MaxBatchTokens = 64, MaxSeqs = 4, MaxModelLength = 128 });
        var prompts = expected.Cases.Select(c => (IReadOnlyList<int>)c.Prompt).ToArray();
        var results = engine.Generate(prompts, SamplingOptions.Greedy with { MaxTokens = 24, IgnoreEos = true });
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected.Cases[i].Greedy, results[i].TokenIds);
        }
    }

    private static (string Dir, Expected Data) Load(string fixture)
    {
        var dir = Path.Combine(RepositoryPaths.ModelFixtures, fixture);
        var data = JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(dir, "expected.json")), JsonOptions)!;
        return (dir, data);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record Expected(string Name, string Architecture, string Dtype, Case[] Cases);

    private sealed record Case(int[] Prompt, float[] Logits, float[]? LogitsNative, int[] Greedy);
}
