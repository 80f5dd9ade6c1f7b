using LlmServe.Inference.Cpu;
using LlmServe.Inference.Engine;
using LlmServe.Inference.Models;
using LlmServe.Inference.Sampling;
using LlmServe.Inference.Tests.Support;

namespace LlmServe.Inference.Tests.Engine;

/// <summary>Offline generation: continuous batching, chunked prefill, admission under a small KV cache, stops and logprobs.</summary>
public sealed class LlmEngineTests : IDisposable
{
    private readonly TempModel _model = new(TinyModelSpec.For(ModelArchitecture.Llama, seed: 31));

    private static readonly IReadOnlyList<int>[] Prompts =
    [
        [1, 5, 77],
        [1, 200, 17, 9, 150, 42, 8, 99, 11, 250, 4, 60, 61, 62, 63, 64, 65, 66, 67, 68],
        [1, 33],
        [1, 90, 91, 92, 93, 94, 95],
        [1, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7],
    ];

    [Fact]
    public void Batched_generation_with_tight_budgets_matches_each_prompt_alone()
    {
        var greedy = SamplingOptions.Greedy with { MaxTokens = 12, IgnoreEos = true };
        var alone = Prompts.Select(p => Generate(new LlmEngineOptions(), [p], greedy)[0].TokenIds).ToArray();

        // 7-token budget forces chunked prefill next to decodes; 2 sequences at once and a 6-block cache force waiting.
        var tight = new LlmEngineOptions { MaxBatchTokens = 7, MaxSeqs = 2, NumKvBlocks = 6, MaxModelLength = 64 };
        var batched = Generate(tight, Prompts, greedy);
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(alone[i], batched[i].TokenIds);
            Assert.Equal(Prompts[i], batched[i].PromptTokenIds);
            Assert.Equal(FinishReason.Length, batched[i].FinishReason);
        }
    }

    [Fact]
    public void Seeded_sampling_gives_the_same_tokens_alone_and_batched()
    {
        var sampling = new SamplingOptions { Temperature = 0.9f, TopP = 0.95f, Seed = 1234, MaxTokens = 10, IgnoreEos = true };
        var alone = Generate(new LlmEngineOptions(), [Prompts[1]], sampling)[0].TokenIds;
        var batched = Generate(new LlmEngineOptions { MaxBatchTokens = 9 }, Prompts, sampling)[1].TokenIds;
        Assert.Equal(alone, batched);
        var otherSeed = Generate(new LlmEngineOptions(), [Prompts[1]], sampling with { Seed = 99 })[0].TokenIds;
        Assert.NotEqual(alone, otherSeed);
    }

    [Fact]
    public void Stop_token_ends_the_sequence_and_logprobs_are_reported()
    {
        var first = Generate(new LlmEngineOptions(), [Prompts[0]], SamplingOptions.Greedy with { MaxTokens = 6, IgnoreEos = true, Logprobs = true, TopLogprobs = 3 })[0];
        Assert.Equal(6, first.Logprobs.Count);
        Assert.All(first.Logprobs, lp => Assert.InRange(lp, float.NegativeInfinity, 0f));
        Assert.All(first.TopLogprobs, top => Assert.Equal(3, top.Count));

        // Greedy picks the most likely token, so its logprob is the top alternative's.
        for (int i = 0; i < first.Logprobs.Count; i++)
        {
            Assert.Equal(first.TopLogprobs[i][0].Logprob, first.Logprobs[i], 5);
        }

        int stopAt = first.TokenIds[2];
        var stopped = Generate(new LlmEngineOptions(), [Prompts[0]], SamplingOptions.Greedy with { MaxTokens = 6, IgnoreEos = true, StopTokenIds = [stopAt] })[0];
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(stopAt, stopped.TokenIds[^1]);
        Assert.Equal(first.TokenIds.Take(stopped.TokenIds.Count), stopped.TokenIds);
    }

    [Fact]
    public void Context_limit_ends_with_length()
    {
        var results = Generate(new LlmEngineOptions { MaxModelLength = 24 }, [Prompts[1]], SamplingOptions.Greedy with { MaxTokens = 50, IgnoreEos = true });
        Assert.Equal(FinishReason.Length, results[0].FinishReason);
        Assert.Equal(24 - Prompts[1].Count, results[0].TokenIds.Count);
    }

    [Fact]
    public void Bad_prompts_are_rejected_with_clear_errors()
    {
        using var engine = LlmEngine.Load(_model.Directory, new CpuBackend(), new LlmEngineOptions { MaxModelLength = 32 });
        var greedy = SamplingOptions.Greedy;
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => engine.Generate([Array.Empty<int>()], greedy)).Message, StringComparison.Ordinal);
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => engine.Generate([new[] { 1, 9999 }], greedy)).Message, StringComparison.Ordinal);
        Assert.Contains("context limit", Assert.Throws<ArgumentException>(() => engine.Generate([Enumerable.Repeat(3, 40).ToArray()], greedy)).Message, StringComparison.Ordinal);
    }

    public void Dispose() => _model.Dispose();

    private IReadOnlyList<GenerationResult> Generate(LlmEngineOptions options, IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions sampling)
    {
        using var engine = LlmEngine.Load(_model.Directory, new CpuBackend(), options);
        return engine.Generate(prompts, sampling);
    }
}
