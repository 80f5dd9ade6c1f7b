using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Engine;

/// <summary>State of one prompt inside <see cref="LlmEngine"/>: tokens, how many are in the KV cache, its blocks and sampler.</summary>
internal sealed class OfflineSequence
{
    public OfflineSequence(int index, IReadOnlyList<int> prompt, SequenceSampler sampler)
    {
        Index = index;
        Prompt = prompt.ToArray();
        Tokens = [.. Prompt];
        Sampler = sampler;
    }

    public int Index { get; }

    public int[] Prompt { get; }

    /// <summary>Prompt followed by generated tokens.</summary>
    public List<int> Tokens { get; }

    /// <summary>Tokens whose K/V are in the cache.</summary>
    public int Computed { get; set; }

    public List<int> Blocks { get; } = [];

    public SequenceSampler Sampler { get; }

    public List<int> Generated { get; } = [];

    public List<float> Logprobs { get; } = [];

    public List<IReadOnlyList<TokenLogprob>> TopLogprobs { get; } = [];

    public FinishReason? Finish { get; set; }

    /// <summary>Tokens this sequence feeds in the step being built.</summary>
    public int StepTokens { get; set; }

    public bool PrefillDone => Computed >= Prompt.Length;
}
