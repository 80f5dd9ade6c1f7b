using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Tests.Sampling;

/// <summary>
/// DeviceDraw defines what a device sampler picks (the CUDA kernel is checked against it on the GPU): its weights,
/// keys and filters must mean what the sampling options say, and its draws must follow the distribution.
/// </summary>
public sealed class DeviceDrawTests
{
    private static DeviceDrawParams Sampled(ulong seed, long step, float temperature = 1f, int topK = 0, float topP = 1f, float minP = 0f) =>
        new() { Seed = seed, Step = step, InverseTemperature = 1f / temperature, TopK = topK, TopP = topP, MinP = minP };

    private static float[] RandomLogits(int vocab, int seed, float scale = 4f)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, vocab).Select(_ => (float)((random.NextDouble() * 2) - 1) * scale)];
    }

    [Fact]
    public void Weight_is_e_to_the_s_within_a_few_parts_in_ten_million_and_exactly_one_at_zero()
    {
        Assert.Equal(1f, DeviceDraw.Weight(0f));
        double worst = 0;
        for (float s = -86.9f; s <= 0f; s += 0.0137f)
        {
            double exact = Math.Exp(s);
            worst = Math.Max(worst, Math.Abs(DeviceDraw.Weight(s) - exact) / exact);
        }

        Assert.True(worst < 4e-7, $"worst relative error {worst:E2}");
        Assert.Equal(0f, DeviceDraw.Weight(-87.5f));
        Assert.Equal(0f, DeviceDraw.Weight(float.NegativeInfinity));
        Assert.Equal(0f, DeviceDraw.Weight(float.NaN));
    }

    [Fact]
    public void Keys_keep_the_order_of_the_floats()
    {
        float[] ordered = [float.NegativeInfinity, -3e38f, -2.5f, -1e-30f, -0f, 0f, 1e-30f, 1f, 7.25f, 3e38f, float.PositiveInfinity];
        for (int i = 1; i < ordered.Length; i++)
        {
            Assert.True(DeviceDraw.Key(ordered[i - 1]) <= DeviceDraw.Key(ordered[i]), $"{ordered[i - 1]} vs {ordered[i]}");
        }

        Assert.True(DeviceDraw.Key(float.NaN) > DeviceDraw.Key(float.PositiveInfinity));
    }

    [Fact]
    public void Greedy_picks_the_lowest_index_of_the_largest_logit()
    {
        float[] logits = [0.5f, 3f, -1f, 3f, 2.9f];

        Assert.Equal(1, DeviceDraw.Draw(logits, DeviceDrawParams.Greedy));
    }

    [Fact]
    public void A_row_of_only_minus_infinity_or_with_a_nan_has_no_token()
    {
        Assert.Equal(-1, DeviceDraw.Draw([float.NegativeInfinity, float.NegativeInfinity], Sampled(1, 0)));
        Assert.Equal(-1, DeviceDraw.Draw([0.1f, float.NaN, 0.3f], Sampled(1, 0)));
        Assert.Equal(-1, DeviceDraw.Draw([0.1f, float.NaN], DeviceDrawParams.Greedy));
    }

    [Fact]
    public void The_same_seed_and_step_draw_the_same_token_and_steps_move_on()
    {
        float[] logits = RandomLogits(500, 3, scale: 0.5f);
        var tokens = new HashSet<int>();
        for (int step = 0; step < 40; step++)
        {
            int token = DeviceDraw.Draw(logits, Sampled(77, step));
            Assert.Equal(token, DeviceDraw.Draw(logits, Sampled(77, step)));
            tokens.Add(token);
        }

        Assert.True(tokens.Count > 20, $"40 steps of a nearly flat row drew only {tokens.Count} distinct tokens");
    }

    [Fact]
    public void Top_k_keeps_the_k_largest_and_one_is_the_arg_max()
    {
        float[] logits = RandomLogits(1000, 5);
        var top5 = logits.Select((v, i) => (v, i)).OrderByDescending(p => p.v).Take(5).Select(p => p.i).ToHashSet();
        int argmax = Array.IndexOf(logits, logits.Max());
        for (int step = 0; step < 300; step++)
        {
            Assert.Contains(DeviceDraw.Draw(logits, Sampled(9, step, topK: 5)), top5);
            Assert.Equal(argmax, DeviceDraw.Draw(logits, Sampled(9, step, topK: 1)));
        }
    }

    [Fact]
    public void Top_p_keeps_the_smallest_top_set_that_reaches_p_of_the_mass()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05: p = 0.75 needs the top two, p = 0.85 the top three.
        float[] logits = [MathF.Log(0.15f), MathF.Log(0.5f), MathF.Log(0.05f), MathF.Log(0.3f)];
        var seen75 = new HashSet<int>();
        var seen85 = new HashSet<int>();
        for (int step = 0; step < 2000; step++)
        {
            seen75.Add(DeviceDraw.Draw(logits, Sampled(4, step, topP: 0.75f)));
            seen85.Add(DeviceDraw.Draw(logits, Sampled(4, step, topP: 0.85f)));
        }

        Assert.Equal([1, 3], seen75.Order());
        Assert.Equal([0, 1, 3], seen85.Order());
    }

    [Fact]
    public void Min_p_drops_tokens_below_its_share_of_the_most_likely()
    {
        float[] logits = RandomLogits(2000, 8);
        float max = logits.Max();
        for (int step = 0; step < 500; step++)
        {
            int token = DeviceDraw.Draw(logits, Sampled(12, step, temperature: 0.7f, minP: 0.2f));
            Assert.True(MathF.Exp((logits[token] - max) / 0.7f) >= 0.2f * 0.9999f, $"token {token} is below min_p");
        }
    }

    [Fact]
    public void Draws_follow_the_softmax_at_the_temperature()
    {
        float[] probabilities = [0.1f, 0.2f, 0.3f, 0.4f];
        float temperature = 0.5f;
        // logits = T·ln(p) so that softmax(logits / T) = p.
        float[] logits = [.. probabilities.Select(p => temperature * MathF.Log(p))];
        int[] counts = new int[4];
        const int draws = 40_000;
        for (int step = 0; step < draws; step++)
        {
            counts[DeviceDraw.Draw(logits, Sampled(2024, step, temperature))]++;
        }

        for (int i = 0; i < 4; i++)
        {
            Assert.InRange(counts[i] / (double)draws, probabilities[i] - 0.01, probabilities[i] + 0.01);
        }
    }

    [Fact]
    public void Top_k_then_top_p_takes_the_nucleus_of_the_renormalized_top_k_set()
    {
        // Probabilities 0.4, 0.3, 0.2, 0.1; top-2 renormalizes 0.4 / 0.3 to 0.571 / 0.429, so p = 0.5 keeps only the first.
        float[] logits = [MathF.Log(0.4f), MathF.Log(0.3f), MathF.Log(0.2f), MathF.Log(0.1f)];
        for (int step = 0; step < 500; step++)
        {
            Assert.Equal(0, DeviceDraw.Draw(logits, Sampled(6, step, topK: 2, topP: 0.5f)));
        }
    }
}
