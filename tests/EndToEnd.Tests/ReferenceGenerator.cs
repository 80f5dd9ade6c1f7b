using LlmServe.Inference.Backends;
using LlmServe.Inference.Engine;
using LlmServe.Inference.Sampling;

namespace LlmServe.EndToEnd.Tests;

/// <summary>What the model produces for each prompt ALONE (offline engine, one prompt per run): the reference for batching.</summary>
internal static class ReferenceGenerator
{
    public static IReadOnlyList<int> GreedyAlone(string modelDirectory, IReadOnlyList<int> prompt, int maxTokens)
    {
        using var engine = LlmEngine.Load(modelDirectory, BackendRegistry.Create("cpu", new BackendOptions { Threads = 1 }));
        var result = engine.Generate([prompt], new SamplingOptions { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true });
        return result[0].TokenIds;
    }
}
