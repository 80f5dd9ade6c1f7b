using LlmServe.Inference.Sampling;

namespace LlmServe.Worker;

/// <summary>What a stage remembers about one running sequence between steps: its block table and (last stage) its sampler.</summary>
internal sealed class SequenceState(SequenceSampler? sampler)
{
    public List<int> BlockTable { get; } = new(capacity: 16);

    public SequenceSampler? Sampler { get; } = sampler;
}
