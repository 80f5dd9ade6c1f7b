using LlmServe.LoadGen.Metrics;

namespace LlmServe.LoadGen.Tests.Metrics;

public sealed class PercentileTests
{
    // Expected values are numpy.percentile's (linear interpolation), which vLLM's bench uses.
    [Theory]
    [InlineData(50, 2.5)]
    [InlineData(90, 3.7)]
    [InlineData(99, 3.97)]
    [InlineData(0, 1)]
    [InlineData(100, 4)]
    [InlineData(25, 1.75)]
    public void Percentiles_interpolate_linearly_between_ranks(double p, double expected)
    {
        Assert.Equal(expected, Percentile.OfSorted([1, 2, 3, 4], p), 10);
    }

    [Fact]
    public void One_value_is_every_percentile_and_no_values_give_zero()
    {
        Assert.Equal(7, Percentile.OfSorted([7], 99));
        Assert.Equal(0, Percentile.OfSorted([], 50));
    }

    [Fact]
    public void Stats_are_in_milliseconds_with_population_standard_deviation()
    {
        // Seconds in, milliseconds out; unsorted input is sorted first.
        var stats = LatencyStats.FromSeconds([0.004, 0.001, 0.003, 0.002], [50, 90, 99]);

        Assert.Equal(2.5, stats.Mean, 10);
        Assert.Equal(2.5, stats.Median, 10);
        Assert.Equal(Math.Sqrt(1.25), stats.Std, 10);
        Assert.Equal([(50.0, 2.5), (90.0, 3.7), (99.0, 3.97)], stats.Percentiles.Select(x => (x.P, Math.Round(x.Value, 10))));
    }

    [Fact]
    public void Percentiles_of_one_to_a_hundred_match_numpy()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).ToList();
        Assert.Equal(50.5, Percentile.OfSorted(values, 50), 10);
        Assert.Equal(90.1, Percentile.OfSorted(values, 90), 10);
        Assert.Equal(99.01, Percentile.OfSorted(values, 99), 10);
        Assert.Equal(99.901, Percentile.OfSorted(values, 99.9), 10);
    }
}
