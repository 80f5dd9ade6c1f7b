using LlmServe.Inference.Sampling;

namespace LlmServe.Worker;

/// <summary>What a stage remembers about one running sequence between steps: its block table and (last stage) its sampler.</summary>
internal sealed class SequenceState(SequenceSampler? sampler)
{
    public List<int> BlockTable { get; } = new(capacity: 16);

    public SequenceSampler? Sampler { get; } = sampler;

    /// <summary>The token this stage last sampled for the sequence (-1 before any): the input of a deferred decode row.</summary>
    public int LastSampledToken { get; set; } = -1;
}
