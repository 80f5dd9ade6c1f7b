using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Sampling;

public class CandidateSelectorTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1000, 37)]
    [InlineData(1000, 999)]
    [InlineData(50_000, 50)]
    public void Top_count_moves_exactly_the_largest_values_to_the_front(int count, int k)
    {
        var random = new Random(count + k);
        float[] values = Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
        int[] ids = Enumerable.Range(0, count).ToArray();
        float[] sorted = values.OrderByDescending(v => v).ToArray();

        int kept = CandidateSelector.SelectTopCount(values, ids, count, k);

        Assert.Equal(k, kept);
        Assert.Equal(sorted.Take(k).Order(), values.Take(k).Order());
        Assert.All(Enumerable.Range(0, count), i => Assert.Equal(values[i], OriginalValue(ids[i], count, k)));
    }

    [Fact]
    public void Top_count_keeps_ties_with_the_kth_value()
    {
        float[] values = Enumerable.Range(0, 200).Select(i => (float)(i % 4)).ToArray();
        int[] ids = Enumerable.Range(0, 200).ToArray();
        int kept = CandidateSelector.SelectTopCount(values, ids, 200, 10);
        Assert.Equal(50, kept);
        Assert.All(values.Take(kept), v => Assert.Equal(3f, v));
    }

    [Theory]
    [InlineData(10, 0.5)]
    [InlineData(5_000, 0.9)]
    [InlineData(5_000, 0.01)]
    [InlineData(5_000, 1.0)]
    public void Top_mass_is_the_smallest_prefix_of_the_sorted_values_reaching_the_mass(int count, double fraction)
    {
        var random = new Random(count);
        float[] values = Enumerable.Range(0, count).Select(_ => (float)Math.Exp(random.NextDouble() * 8)).ToArray();
        int[] ids = Enumerable.Range(0, count).ToArray();
        double total = values.Sum(v => (double)v);
        double[] sorted = values.Select(v => (double)v).OrderByDescending(v => v).ToArray();
        int expected = 0;
        double sum = 0;
        while (expected < count && sum < fraction * total * (1 - 1e-9))
        {
            sum += sorted[expected++];
        }

        int kept = CandidateSelector.SelectTopMass(values, ids, count, fraction * total * (1 - 1e-9));

        Assert.Equal(expected, kept);
        Assert.Equal(sorted.Take(kept), values.Take(kept).Select(v => (double)v).OrderByDescending(v => v));
    }

    // The selector's inputs are a pure function of the seed; recompute the value an id started with.
    private static float OriginalValue(int id, int count, int k)
    {
        var random = new Random(count + k);
        float v = 0;
        for (int i = 0; i <= id; i++)
        {
            v = (float)random.NextDouble();
        }

        return v;
    }
}
