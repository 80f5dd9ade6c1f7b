using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Sampling;

public class SequenceSamplerTests
{
    private static readonly int[] Eos = [7];

    [Fact]
    public void Greedy_picks_the_argmax_and_the_lowest_id_on_ties()
    {
        var sampler = new SequenceSampler(SamplingOptions.Greedy, Eos, [], []);
        Assert.Equal(2, sampler.Sample(new float[] { 0f, 1f, 3f, -2f }).TokenId);
        Assert.Equal(1, sampler.Sample(new float[] { 0f, 3f, 3f, 3f }).TokenId);
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_of_prompt_and_output_tokens()
    {
        var options = SamplingOptions.Greedy with { RepetitionPenalty = 2f };
        var sampler = new SequenceSampler(options, Eos, [0, 1, 1], [2]);
        float[] logits = [4f, -3f, 1f, 5f, -1f];
        sampler.ProcessLogits(logits);
        Assert.Equal([2f, -6f, 0.5f, 5f, -1f], logits);
    }

    [Fact]
    public void Frequency_and_presence_penalties_count_output_tokens_only()
    {
        var options = SamplingOptions.Greedy with { FrequencyPenalty = 0.5f, PresencePenalty = 0.25f };
        var sampler = new SequenceSampler(options, Eos, [3, 3, 3], [1, 1, 2]);
        sampler.Accept(1);
        float[] logits = [1f, 1f, 1f, 1f];
        sampler.ProcessLogits(logits);
        // Token 1 generated 3 times: 1 - 3·0.5 - 0.25; token 2 once: 1 - 0.5 - 0.25; prompt token 3 untouched.
        Assert.Equal([1f, -0.75f, 0.25f, 1f], logits);
    }

    [Fact]
    public void All_penalties_combine_in_vllm_order()
    {
        var options = SamplingOptions.Greedy with { RepetitionPenalty = 1.5f, FrequencyPenalty = 1f, PresencePenalty = 0.5f };
        var sampler = new SequenceSampler(options, Eos, [0], [1, 1]);
        float[] logits = [3f, 3f, -2f];
        sampler.ProcessLogits(logits);
        Assert.Equal(2f, logits[0], 5);
        Assert.Equal((3f / 1.5f) - 2f - 0.5f, logits[1], 5);
        Assert.Equal(-2f, logits[2]);
    }

    [Fact]
    public void Penalties_steer_greedy_away_from_repeats()
    {
        var options = SamplingOptions.Greedy with { PresencePenalty = 2f };
        var sampler = new SequenceSampler(options, Eos, [], []);
        float[] logits = [2f, 1f, 0f];
        var first = sampler.Sample((float[])logits.Clone()).TokenId;
        sampler.Accept(first);
        var second = sampler.Sample((float[])logits.Clone()).TokenId;
        Assert.Equal(0, first);
        Assert.Equal(1, second);
    }

    [Fact]
    public void Logit_bias_is_added_before_sampling()
    {
        var options = SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [3] = 10f, [0] = -1f } };
        var sampler = new SequenceSampler(options, Eos, [], []);
        float[] logits = [5f, 1f, 2f, -4f];
        sampler.ProcessLogits(logits);
        Assert.Equal([4f, 1f, 2f, 6f], logits);
        Assert.Equal(3, sampler.Sample(new float[] { 5f, 1f, 2f, -4f }).TokenId);
    }

    [Fact]
    public void Logit_bias_outside_the_vocabulary_is_a_clear_error()
    {
        var options = SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [10] = 1f } };
        var sampler = new SequenceSampler(options, Eos, [], []);
        var error = Assert.Throws<ArgumentException>(() => sampler.Sample(new float[4]));
        Assert.Equal(nameof(SamplingOptions.LogitBias), error.ParamName);
    }

    [Fact]
    public void Min_tokens_masks_eos_and_stop_ids_until_reached()
    {
        var options = SamplingOptions.Greedy with { MinTokens = 2, MaxTokens = 10, StopTokenIds = [5] };
        var sampler = new SequenceSampler(options, Eos, [], []);
        float[] Row() { var r = new float[8]; r[7] = 10f; r[5] = 9f; r[2] = 1f; return r; }

        Assert.Equal(2, sampler.Sample(Row()).TokenId);
        sampler.Accept(2);
        Assert.Equal(2, sampler.Sample(Row()).TokenId);
        sampler.Accept(2);
        Assert.Equal(7, sampler.Sample(Row()).TokenId);
    }

    [Fact]
    public void Min_tokens_leaves_eos_alone_when_eos_is_ignored()
    {
        var options = SamplingOptions.Greedy with { MinTokens = 3, IgnoreEos = true };
        var sampler = new SequenceSampler(options, Eos, [], []);
        var row = new float[8];
        row[7] = 10f;
        Assert.Equal(7, sampler.Sample(row).TokenId);
        Assert.False(sampler.IsStopToken(7));
    }

    [Fact]
    public void Stop_tokens_are_eos_and_stop_ids()
    {
        var sampler = new SequenceSampler(new SamplingOptions { StopTokenIds = [3] }, Eos, [], []);
        Assert.True(sampler.IsStopToken(7));
        Assert.True(sampler.IsStopToken(3));
        Assert.False(sampler.IsStopToken(4));
    }

    [Fact]
    public void Same_seed_gives_the_same_sequence_and_different_seeds_differ()
    {
        int[] a = Generate(new SamplingOptions { Seed = 42, TopP = 0.95f }, 64, []);
        int[] b = Generate(new SamplingOptions { Seed = 42, TopP = 0.95f }, 64, []);
        int[] c = Generate(new SamplingOptions { Seed = 43, TopP = 0.95f }, 64, []);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Resuming_with_already_generated_tokens_continues_the_same_stream()
    {
        var options = new SamplingOptions { Seed = 99, Temperature = 0.9f, TopK = 50, FrequencyPenalty = 0.3f, RepetitionPenalty = 1.1f };
        int[] whole = Generate(options, 60, []);
        int[] resumed = Generate(options, 35, whole.AsSpan(0, 25).ToArray());
        Assert.Equal(whole, whole[..25].Concat(resumed).ToArray());
    }

    [Fact]
    public void Unseeded_samplers_draw_different_streams()
    {
        int[] a = Generate(new SamplingOptions(), 64, []);
        int[] b = Generate(new SamplingOptions(), 64, []);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Logprobs_are_the_raw_log_softmax_and_sum_to_one()
    {
        var random = new Random(17);
        float[] logits = Enumerable.Range(0, 20).Select(_ => (float)(random.NextDouble() * 10 - 5)).ToArray();
        double[] expected = SamplingStatistics.Softmax(logits);
        var options = new SamplingOptions
        {
            Seed = 1, Logprobs = true, TopLogprobs = 20, Temperature = 0.3f, TopK = 3, RepetitionPenalty = 1.3f,
            LogitBias = new Dictionary<int, float> { [0] = 4f },
        };
        var sampler = new SequenceSampler(options, Eos, [1, 2], []);
        var token = sampler.Sample((float[])logits.Clone());

        Assert.Equal(Math.Log(expected[token.TokenId]), token.Logprob, 4);
        Assert.Equal(20, token.TopLogprobs.Length);
        double total = 0;
        for (int i = 0; i < token.TopLogprobs.Length; i++)
        {
            var entry = token.TopLogprobs[i];
            Assert.Equal(Math.Log(expected[entry.TokenId]), entry.Logprob, 4);
            if (i > 0)
            {
                Assert.True(entry.Logprob <= token.TopLogprobs[i - 1].Logprob);
            }

            total += Math.Exp(entry.Logprob);
        }

        Assert.Equal(1.0, total, 4);
    }

    [Fact]
    public void Top_logprobs_lists_the_most_likely_tokens_first_and_lower_ids_on_ties()
    {
        var options = SamplingOptions.Greedy with { Logprobs = true, TopLogprobs = 3 };
        var sampler = new SequenceSampler(options, Eos, [], []);
        var token = sampler.Sample(new float[] { 1f, 4f, 2f, 4f, 0f });
        Assert.Equal([1, 3, 2], token.TopLogprobs.ToArray().Select(t => t.TokenId));
    }

    [Fact]
    public void Without_logprobs_the_result_carries_none()
    {
        var sampler = new SequenceSampler(SamplingOptions.Greedy, Eos, [], []);
        var token = sampler.Sample(new float[] { 1f, 2f });
        Assert.False(token.HasLogprob);
        Assert.True(token.TopLogprobs.IsEmpty);
    }

    [Fact]
    public void Generated_count_includes_resumed_tokens_and_accepts()
    {
        var sampler = new SequenceSampler(new SamplingOptions(), Eos, [1, 2, 3], [4, 5]);
        Assert.Equal(2, sampler.GeneratedCount);
        sampler.Accept(6);
        Assert.Equal(3, sampler.GeneratedCount);
    }

    [Fact]
    public void Fully_masked_logits_fail_with_a_clear_error()
    {
        var sampler = new SequenceSampler(new SamplingOptions(), Eos, [], []);
        Assert.Throws<InvalidOperationException>(() => sampler.Sample(new[] { float.NegativeInfinity, float.NegativeInfinity }));
        Assert.Throws<ArgumentException>(() => sampler.Sample(Span<float>.Empty));
    }

    private static int[] Generate(SamplingOptions options, int count, int[] alreadyGenerated)
    {
        // A fixed pseudo-model: logits depend on the step so penalties and the stream both matter.
        var sampler = new SequenceSampler(options, Eos, [1, 2, 3], alreadyGenerated);
        var tokens = new int[count];
        var row = new float[500];
        for (int i = 0; i < count; i++)
        {
            int step = alreadyGenerated.Length + i;
            for (int v = 0; v < row.Length; v++)
            {
                row[v] = MathF.Sin((v * 0.37f) + (step * 0.11f)) * 3f;
            }

            tokens[i] = sampler.Sample(row).TokenId;
            sampler.Accept(tokens[i]);
        }

        return tokens;
    }

    [Fact]
    public void A_device_draw_carries_the_options_and_the_step_when_only_they_and_the_raw_logits_decide()
    {
        var options = new SamplingOptions { Temperature = 0.8f, TopK = 40, TopP = 0.9f, MinP = 0.05f, Seed = 1234 };
        var sampler = new SequenceSampler(options, Eos, [], [7, 8]);

        Assert.True(sampler.TryGetDeviceDraw(out var draw));
        Assert.Equal(new DeviceDrawParams { Seed = 1234, Step = 2, InverseTemperature = 1f / 0.8f, TopK = 40, TopP = 0.9f, MinP = 0.05f }, draw);
        sampler.Accept(3);
        Assert.True(sampler.TryGetDeviceDraw(out draw));
        Assert.Equal(3, draw.Step);

        Assert.True(new SequenceSampler(SamplingOptions.Greedy, Eos, [], []).TryGetDeviceDraw(out draw));
        Assert.Equal(DeviceDrawParams.Greedy, draw);
        Assert.True(new SequenceSampler(options with { TopK = -1 }, Eos, [], []).TryGetDeviceDraw(out draw));
        Assert.Equal(0, draw.TopK);

        Assert.False(new SequenceSampler(options with { Logprobs = true }, Eos, [], []).TryGetDeviceDraw(out _));
        Assert.False(new SequenceSampler(options with { RepetitionPenalty = 1.1f }, Eos, [], []).TryGetDeviceDraw(out _));
        Assert.False(new SequenceSampler(options with { FrequencyPenalty = 0.2f }, Eos, [], []).TryGetDeviceDraw(out _));
        Assert.False(new SequenceSampler(options with { LogitBias = new Dictionary<int, float> { [3] = 1f } }, Eos, [], []).TryGetDeviceDraw(out _));
        var min = new SequenceSampler(options with { MinTokens = 1 }, Eos, [], []);
        Assert.False(min.TryGetDeviceDraw(out _));
        min.Accept(4);
        Assert.True(min.TryGetDeviceDraw(out _));
    }

    [Fact]
    public void Plain_argmax_only_when_nothing_but_the_raw_maximum_decides()
    {
        Assert.True(new SequenceSampler(SamplingOptions.Greedy, Eos, [], []).IsPlainArgmax);
        Assert.True(new SequenceSampler(SamplingOptions.Greedy with { Logprobs = true }, Eos, [], []).IsPlainArgmax);
        Assert.False(new SequenceSampler(SamplingOptions.Greedy with { Logprobs = true, TopLogprobs = 2 }, Eos, [], []).IsPlainArgmax);
        Assert.False(new SequenceSampler(new SamplingOptions { Temperature = 0.7f }, Eos, [], []).IsPlainArgmax);
        Assert.False(new SequenceSampler(SamplingOptions.Greedy with { RepetitionPenalty = 1.1f }, Eos, [], []).IsPlainArgmax);
        Assert.False(new SequenceSampler(SamplingOptions.Greedy with { PresencePenalty = 0.5f }, Eos, [], []).IsPlainArgmax);
        Assert.False(new SequenceSampler(SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [3] = 1f } }, Eos, [], []).IsPlainArgmax);

        // min_tokens masks EOS until it is reached, then the row is plain again; with EOS ignored nothing is masked.
        var min = new SequenceSampler(SamplingOptions.Greedy with { MinTokens = 2 }, Eos, [], []);
        Assert.False(min.IsPlainArgmax);
        min.Accept(1);
        Assert.False(min.IsPlainArgmax);
        min.Accept(1);
        Assert.True(min.IsPlainArgmax);
        Assert.True(new SequenceSampler(SamplingOptions.Greedy with { MinTokens = 2, IgnoreEos = true }, Eos, [], []).IsPlainArgmax);
        Assert.False(new SequenceSampler(SamplingOptions.Greedy with { MinTokens = 2, IgnoreEos = true, StopTokenIds = [5] }, Eos, [], []).IsPlainArgmax);
    }
}
