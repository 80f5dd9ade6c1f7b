using LlmServe.Inference.Cpu;
using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Backends;

/// <summary>
/// The CPU backend's in-place greedy pick must give exactly what host-side greedy sampling gives, token and logprob,
/// since the worker chooses between the two per step.
/// </summary>
public sealed class GreedyLogitsReaderTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(5, 1000)]
    [InlineData(17, 32003)]
    public void Argmax_equals_greedy_sampling_of_each_row(int rows, int vocab)
    {
        var random = new Random(rows * vocab);
        var data = new float[rows * vocab];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 20) - 10);
        }
        // A planted tie in the first row: the lowest id must win, as the host's scan picks it.
        data[vocab - 1] = 50f;
        data[vocab / 2] = 50f;
        using var backend = new CpuBackend();
        using var logits = backend.UploadFloats(data, rows, vocab);
        var tokens = new int[rows];
        var logprobs = new float[rows];

        backend.ArgmaxLogits(logits, rows, tokens, logprobs);

        var options = SamplingOptions.Greedy with { Logprobs = true };
        for (int r = 0; r < rows; r++)
        {
            var sampler = new SequenceSampler(options, [0], [], []);
            var expected = sampler.Sample(data.AsSpan(r * vocab, vocab).ToArray());
            Assert.Equal(expected.TokenId, tokens[r]);
            Assert.Equal(expected.Logprob, logprobs[r]);
        }
        Assert.Equal(vocab / 2, tokens[0]);
        Assert.True(logprobs[0] < 0 && logprobs[0] > -1, $"two tied maxima far above the rest share the mass: {logprobs[0]}");
    }

    [Fact]
    public void Argmax_leaves_the_logits_unchanged()
    {
        float[] data = [1f, 4f, -2f, 4f, 0.5f, 3f];
        using var backend = new CpuBackend();
        using var logits = backend.UploadFloats(data, 2, 3);
        var copy = new float[6];

        backend.ArgmaxLogits(logits, 2, new int[2], new float[2]);

        backend.CopyToHost(logits, 2, copy);
        Assert.Equal(data, copy);
    }
}
