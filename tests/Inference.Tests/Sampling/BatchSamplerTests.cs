using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Sampling;

/// <summary>
/// A step's rows sampled over threads must give exactly what sampling them one by one gives: each row has its own
/// sampler, seed and history, and nothing else is shared.
/// </summary>
public sealed class BatchSamplerTests
{
    private static readonly int[] Eos = [2];

    private static SamplingOptions OptionsFor(int row) => (row % 4) switch
    {
        0 => SamplingOptions.Greedy,
        1 => new SamplingOptions { Temperature = 0.8f, TopP = 0.9f, Seed = (ulong)row },
        2 => new SamplingOptions { Temperature = 1.1f, TopK = 40, RepetitionPenalty = 1.2f, Seed = (ulong)(row * 7) },
        _ => new SamplingOptions { Temperature = 0.7f, MinP = 0.05f, PresencePenalty = 0.5f, Logprobs = true, TopLogprobs = 3, Seed = 99 },
    };

    private static SequenceSampler[] Samplers(int rows) =>
        [.. Enumerable.Range(0, rows).Select(r => new SequenceSampler(OptionsFor(r), Eos, [r % 50, (r * 3) % 50], [(r * 5) % 50]))];

    private static float[] Logits(int rows, int vocab, int seed)
    {
        var random = new Random(seed);
        float[] logits = new float[rows * vocab];
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = (float)(random.NextDouble() * 8 - 4);
        }
        return logits;
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(37, 5000)]
    [InlineData(64, 32000)]
    public void Rows_sampled_over_threads_equal_rows_sampled_one_by_one(int rows, int vocab)
    {
        float[] logits = Logits(rows, vocab, rows);
        float[] copy = (float[])logits.Clone();
        SequenceSampler[] sequential = Samplers(rows);
        SequenceSampler[] parallel = Samplers(rows);
        var expected = new SampledToken[rows];
        var actual = new SampledToken[rows];
        for (int step = 0; step < 3; step++)
        {
            new BatchSampler(minElementsPerTask: long.MaxValue).Sample(sequential, rows, logits, vocab, expected);
            // Tiny tasks: as many threads as rows allow, the worst case for any shared state.
            new BatchSampler(minElementsPerTask: 1, maxTasks: 16).Sample(parallel, rows, copy, vocab, actual);
            for (int r = 0; r < rows; r++)
            {
                Assert.Equal(expected[r].TokenId, actual[r].TokenId);
                Assert.Equal(expected[r].Logprob, actual[r].Logprob);
                Assert.Equal(expected[r].TopLogprobs.ToArray(), actual[r].TopLogprobs.ToArray());
                sequential[r].Accept(expected[r].TokenId);
                parallel[r].Accept(actual[r].TokenId);
            }
            logits = Logits(rows, vocab, 1000 + step);
            copy = (float[])logits.Clone();
        }
    }

    [Fact]
    public void Greedy_takes_the_first_index_of_the_maximum()
    {
        float[] logits = new float[3 * 40_000];
        Array.Fill(logits, -1f);
        logits[17] = 5f;
        logits[33_000] = 5f; // a tie later in the row: the first one wins, as a scalar '>' scan finds it
        logits[40_000 + 39_999] = 0.5f;
        logits[80_000 + 12_345] = float.MaxValue;
        logits[80_000 + 12_346] = float.MaxValue;
        SequenceSampler[] samplers = [.. Enumerable.Range(0, 3).Select(_ => new SequenceSampler(SamplingOptions.Greedy, Eos, [], []))];
        var results = new SampledToken[3];

        new BatchSampler(minElementsPerTask: 1).Sample(samplers, 3, logits, 40_000, results);

        Assert.Equal([17, 39_999, 12_345], results.Select(r => r.TokenId));
    }

    [Fact]
    public void Too_few_samplers_results_or_logits_are_refused()
    {
        var sampler = new BatchSampler();
        SequenceSampler[] two = Samplers(2);
        Assert.Throws<ArgumentException>(() => sampler.Sample(two, 3, new float[30], 10, new SampledToken[3]));
        Assert.Throws<ArgumentException>(() => sampler.Sample(two, 2, new float[19], 10, new SampledToken[2]));
        Assert.Throws<ArgumentException>(() => sampler.Sample(two, 2, new float[20], 10, new SampledToken[1]));
    }
}
