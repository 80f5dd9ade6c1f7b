using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Sampling;

public class SamplingOptionsTests
{
    public static TheoryData<SamplingOptions, string> Invalid => new()
    {
        { new SamplingOptions { Temperature = -0.1f }, nameof(SamplingOptions.Temperature) },
        { new SamplingOptions { Temperature = float.NaN }, nameof(SamplingOptions.Temperature) },
        { new SamplingOptions { TopP = 0f }, nameof(SamplingOptions.TopP) },
        { new SamplingOptions { TopP = 1.01f }, nameof(SamplingOptions.TopP) },
        { new SamplingOptions { TopK = -2 }, nameof(SamplingOptions.TopK) },
        { new SamplingOptions { MinP = -0.01f }, nameof(SamplingOptions.MinP) },
        { new SamplingOptions { MinP = 1.5f }, nameof(SamplingOptions.MinP) },
        { new SamplingOptions { PresencePenalty = 2.5f }, nameof(SamplingOptions.PresencePenalty) },
        { new SamplingOptions { FrequencyPenalty = -2.5f }, nameof(SamplingOptions.FrequencyPenalty) },
        { new SamplingOptions { RepetitionPenalty = 0f }, nameof(SamplingOptions.RepetitionPenalty) },
        { new SamplingOptions { MaxTokens = 0 }, nameof(SamplingOptions.MaxTokens) },
        { new SamplingOptions { MinTokens = -1 }, nameof(SamplingOptions.MinTokens) },
        { new SamplingOptions { MinTokens = 20, MaxTokens = 10 }, nameof(SamplingOptions.MinTokens) },
        { new SamplingOptions { Logprobs = true, TopLogprobs = 21 }, nameof(SamplingOptions.TopLogprobs) },
        { new SamplingOptions { TopLogprobs = 2 }, nameof(SamplingOptions.TopLogprobs) },
        { new SamplingOptions { StopTokenIds = [-1] }, nameof(SamplingOptions.StopTokenIds) },
        { new SamplingOptions { LogitBias = new Dictionary<int, float> { [1] = float.NaN } }, nameof(SamplingOptions.LogitBias) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_names_the_field_out_of_range(SamplingOptions options, string field)
    {
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(field, error.ParamName);
    }

    [Fact]
    public void Defaults_and_boundaries_are_valid()
    {
        new SamplingOptions().Validate();
        SamplingOptions.Greedy.Validate();
        new SamplingOptions { TopK = -1, TopP = 1f, MinP = 1f, PresencePenalty = -2f, FrequencyPenalty = 2f, Logprobs = true, TopLogprobs = 20 }.Validate();
        Assert.True(SamplingOptions.Greedy.IsGreedy);
        Assert.False(new SamplingOptions().IsGreedy);
    }

    [Fact]
    public void The_sampler_validates_its_options()
    {
        Assert.Throws<ArgumentException>(() => new SequenceSampler(new SamplingOptions { TopP = 2f }, [], [], []));
    }
}
