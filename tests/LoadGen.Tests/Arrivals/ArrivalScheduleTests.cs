using LlmServe.LoadGen.Arrivals;

namespace LlmServe.LoadGen.Tests.Arrivals;

public sealed class ArrivalScheduleTests
{
    [Theory]
    [InlineData(4.0)]
    [InlineData(16.0)]
    [InlineData(250.0)]
    public void Poisson_arrivals_have_the_requested_mean_rate_and_exponential_spread(double rate)
    {
        var times = ArrivalSchedule.Create(20_000, rate, seed: 3);

        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToArray();
        double mean = gaps.Average();
        double std = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / gaps.Length);
        // 20k exponential gaps: the sample mean is within ~2.1% at 3σ; 5% is a loose bound.
        Assert.InRange(mean * rate, 0.95, 1.05);
        // An exponential distribution's standard deviation equals its mean (coefficient of variation 1).
        Assert.InRange(std / mean, 0.93, 1.07);
        Assert.Equal(0, times[0]);
        Assert.All(gaps, g => Assert.True(g >= 0));
    }

    [Fact]
    public void The_same_seed_gives_the_same_schedule_and_another_seed_a_different_one()
    {
        Assert.Equal(ArrivalSchedule.Create(100, 8, 1), ArrivalSchedule.Create(100, 8, 1));
        Assert.NotEqual(ArrivalSchedule.Create(100, 8, 1), ArrivalSchedule.Create(100, 8, 2));
    }

    [Fact]
    public void An_infinite_rate_sends_everything_at_once()
    {
        Assert.All(ArrivalSchedule.Create(50, double.PositiveInfinity, 0), t => Assert.Equal(0, t));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void A_rate_that_is_not_positive_is_refused(double rate)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ArrivalSchedule.Create(10, rate, 0));
    }
}
