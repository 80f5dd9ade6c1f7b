using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Sampling;

public class SequenceSamplerDistributionTests
{
    private const int Draws = 20_000;

    [Fact]
    public void Temperature_one_draws_from_the_softmax()
    {
        float[] logits = [1.0f, 0.2f, -0.5f, 2.0f, 0.0f, -3.0f];
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 1 }, logits, Draws);
        SamplingStatistics.AssertFits(counts, SamplingStatistics.Softmax(logits));
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Temperature_scales_the_logits(double temperature)
    {
        float[] logits = [1.0f, 0.2f, -0.5f, 2.0f, 0.0f];
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 2, Temperature = (float)temperature }, logits, Draws);
        SamplingStatistics.AssertFits(counts, SamplingStatistics.Softmax(logits, temperature));
    }

    [Fact]
    public void Lower_temperature_concentrates_mass_on_the_most_likely_token()
    {
        float[] logits = [1.0f, 0.5f, 0.0f, 1.5f, -1.0f];
        double[] share = new[] { 2.0, 1.0, 0.5, 0.1 }.Select(t =>
            SamplingStatistics.Histogram(new SamplingOptions { Seed = 3, Temperature = (float)t }, logits, 5_000)[3] / 5_000.0).ToArray();
        for (int i = 1; i < share.Length; i++)
        {
            Assert.True(share[i] > share[i - 1], $"share of the top token should grow as T falls: {string.Join(", ", share)}");
        }

        Assert.True(share[^1] > 0.99);
    }

    [Fact]
    public void Tiny_temperature_is_greedy()
    {
        float[] logits = [0.3f, 2.5f, 2.4f, -1f];
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 4, Temperature = 1e-6f }, logits, 500);
        Assert.Equal(500, counts[1]);
    }

    [Fact]
    public void Top_p_never_leaves_the_nucleus_and_matches_renormalized_probabilities()
    {
        double[] p = [0.05, 0.4, 0.1, 0.3, 0.15];
        // Sorted: 0.4, 0.3 (0.7 < 0.8), 0.15 (0.85 ≥ 0.8) → nucleus {1, 3, 4}.
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 5, TopP = 0.8f }, SamplingStatistics.LogitsOf(p), Draws);
        SamplingStatistics.AssertFits(counts, SamplingStatistics.Restrict(p, i => i is 1 or 3 or 4));
    }

    [Fact]
    public void Top_p_on_a_large_vocabulary_matches_a_full_sort()
    {
        var random = new Random(6);
        float[] logits = Enumerable.Range(0, 8_000).Select(_ => (float)(random.NextDouble() * 12)).ToArray();
        double[] p = SamplingStatistics.Softmax(logits);
        int[] order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ToArray();
        var nucleus = new HashSet<int>();
        double mass = 0;
        foreach (int i in order)
        {
            nucleus.Add(i);
            mass += p[i];
            if (mass >= 0.5)
            {
                break;
            }
        }

        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 7, TopP = 0.5f }, logits, Draws);
        SamplingStatistics.AssertFits(counts, SamplingStatistics.Restrict(p, nucleus.Contains));
    }

    [Fact]
    public void Top_k_keeps_the_k_most_likely_tokens()
    {
        var random = new Random(8);
        float[] logits = Enumerable.Range(0, 3_000).Select(_ => (float)(random.NextDouble() * 4)).ToArray();
        var top = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(20).ToHashSet();
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 9, TopK = 20 }, logits, Draws);
        SamplingStatistics.AssertFits(counts, SamplingStatistics.Restrict(SamplingStatistics.Softmax(logits), top.Contains));
    }

    [Fact]
    public void Top_k_then_top_p_apply_in_order()
    {
        double[] p = [0.3, 0.25, 0.2, 0.15, 0.1];
        // Top-k 3 renormalizes to 0.4, 0.333, 0.267; top-p 0.7 then keeps tokens 0 and 1 (0.733).
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 10, TopK = 3, TopP = 0.7f }, SamplingStatistics.LogitsOf(p), Draws);
        SamplingStatistics.AssertFits(counts, SamplingStatistics.Restrict(p, i => i < 2));
    }

    [Fact]
    public void Min_p_drops_tokens_below_a_fraction_of_the_top_probability()
    {
        double[] p = [0.5, 0.2, 0.14, 0.09, 0.07];
        // min_p 0.25 → threshold 0.125: tokens 0, 1, 2 stay.
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 11, MinP = 0.25f }, SamplingStatistics.LogitsOf(p), Draws);
        SamplingStatistics.AssertFits(counts, SamplingStatistics.Restrict(p, i => i < 3));
    }

    [Fact]
    public void Min_p_is_relative_to_the_tempered_distribution()
    {
        double[] p = [0.5, 0.2, 0.14, 0.09, 0.07];
        // T = 0.5 squares the ratios to the top: 0.16, 0.078, 0.032, 0.020; min_p 0.1 keeps tokens 0 and 1.
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 12, MinP = 0.1f, Temperature = 0.5f }, SamplingStatistics.LogitsOf(p), Draws);
        var tempered = SamplingStatistics.Softmax(SamplingStatistics.LogitsOf(p), 0.5);
        SamplingStatistics.AssertFits(counts, SamplingStatistics.Restrict(tempered, i => i < 2));
    }

    [Fact]
    public void Tokens_masked_to_negative_infinity_are_never_drawn()
    {
        var bias = new Dictionary<int, float> { [0] = float.NegativeInfinity };
        var counts = SamplingStatistics.Histogram(new SamplingOptions { Seed = 13, LogitBias = bias }, [5f, 0f, 0f], 2_000);
        Assert.Equal(0, counts[0]);
        Assert.Equal(2_000, counts[1] + counts[2]);
    }
}
