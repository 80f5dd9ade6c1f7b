using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Sampling;

public class StepRandomTests
{
    [Fact]
    public void Draws_are_a_pure_function_of_seed_and_step()
    {
        Assert.Equal(StepRandom.Uniform(5, 17), StepRandom.Uniform(5, 17));
        Assert.NotEqual(StepRandom.Uniform(5, 17), StepRandom.Uniform(5, 18));
        Assert.NotEqual(StepRandom.Uniform(5, 17), StepRandom.Uniform(6, 17));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(12345UL)]
    [InlineData(ulong.MaxValue)]
    public void Draws_over_steps_are_uniform_in_the_unit_interval(ulong seed)
    {
        const int bins = 20, draws = 40_000;
        var counts = new int[bins];
        for (int step = 0; step < draws; step++)
        {
            double u = StepRandom.Uniform(seed, step);
            Assert.InRange(u, 0.0, 1.0 - double.Epsilon);
            counts[(int)(u * bins)]++;
        }

        SamplingStatistics.AssertFits(counts, Enumerable.Repeat(1.0 / bins, bins).ToArray());
    }
}
