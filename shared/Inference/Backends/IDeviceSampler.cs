using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Backends;

/// <summary>
/// A backend that draws sampled tokens where the logits live, so only token ids cross to the host (not rows ×
/// vocabulary fp32 logits: 131 MB for 256 rows of a 128k vocabulary). Draws follow <see cref="DeviceDraw"/> exactly.
/// </summary>
public interface IDeviceSampler
{
    /// <summary>Whether this backend draws on the device now (it may be turned off by configuration).</summary>
    bool SamplesOnDevice { get; }

    /// <summary>
    /// For each of the first <paramref name="rows"/> rows of <paramref name="logits"/>: the token <see cref="DeviceDraw"/>
    /// picks with that row's <paramref name="draws"/> entry, or -1 when the row has no finite logit or a NaN.
    /// </summary>
    void SampleLogits(BackendTensor logits, int rows, ReadOnlySpan<DeviceDrawParams> draws, Span<int> tokens);
}
