using System.Text;
using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.OpenAi.Timing;

namespace LlmServe.Gateway.Tests.OpenAi.Timing;

/// <summary>The per-request breakdown computed from hop stamps: differences, missing stamps, clock skew, and its JSON.</summary>
public sealed class HopBreakdownTests
{
    private const long Arrived = 1_000_000;
    private const long TokenizePublished = 1_000_300;

    private static RequestTiming Request() => new()
    {
        TokenizerReceivedUs = 1_000_500,
        TokenizerPublishedUs = 1_001_500,
        SchedulerReceivedUs = 1_001_700,
        SchedulerAdmittedUs = 1_001_750,
    };

    /// <summary>A step whose plan went out at <paramref name="plan"/>, every later stamp at fixed gaps after it.</summary>
    private static StepTiming Step(ulong id, long plan) => new()
    {
        StepId = id,
        PlanPublishedUs = plan,
        WorkerExecuteUs = 4_000,
        ResultReceivedUs = plan + 4_600,
        DeltaPublishedUs = plan + 4_700,
        DetokenizerReceivedUs = plan + 4_900,
        DetokenizerPublishedUs = plan + 5_000,
        GatewayReceivedUs = plan + 5_300,
        GatewayWrittenUs = plan + 5_350,
    };

    private static HopBreakdown Compute(params TimedChunk[] chunks) =>
        HopBreakdown.Compute(Arrived, [TokenizePublished], [Request()], chunks);

    [Fact]
    public void The_first_tokens_hops_are_the_differences_of_consecutive_stamps_and_tile_arrival_to_written()
    {
        var breakdown = Compute(new TimedChunk(0, Step(1, 1_002_000), HasText: true));

        var first = breakdown.FirstToken!;
        Assert.Equal(300, first[Hop.Gateway]);
        Assert.Equal(200, first[Hop.GatewayToTokenizer]);
        Assert.Equal(1_000, first[Hop.Tokenizer]);
        Assert.Equal(200, first[Hop.TokenizerToScheduler]);
        Assert.Equal(50, first[Hop.SchedulerAdmit]);
        Assert.Equal(250, first[Hop.SchedulerQueue]);
        Assert.Equal(4_000, first[Hop.WorkerExecute]);
        Assert.Equal(600, first[Hop.WorkerBus]);
        Assert.Equal(100, first[Hop.SchedulerPublish]);
        Assert.Equal(200, first[Hop.SchedulerToDetokenizer]);
        Assert.Equal(100, first[Hop.Detokenizer]);
        Assert.Equal(300, first[Hop.DetokenizerToGateway]);
        Assert.Equal(50, first[Hop.GatewayWrite]);
        Assert.True(first.IsComplete(Hop.Gateway));
        Assert.Equal(1_002_000 + 5_350 - Arrived, first.Total);
        Assert.Equal(Arrived, breakdown.ArrivedUs);
        Assert.Equal(1_002_000 + 5_350, breakdown.FirstTokenWrittenUs);
        Assert.Equal(1, breakdown.Tokens);
        Assert.Empty(breakdown.SteadyTokens);
        Assert.Equal(0, breakdown.Clamped);
    }

    [Fact]
    public void A_steady_token_starts_when_the_requests_previous_result_came_back()
    {
        var breakdown = Compute(
            new TimedChunk(0, Step(1, 1_002_000), true),
            new TimedChunk(0, Step(2, 1_006_900), true),   // planned 300 µs after step 1's result (1_006_600)
            new TimedChunk(0, Step(3, 1_011_600), true));  // 100 µs after step 2's (1_011_500)

        Assert.Equal(2, breakdown.SteadyTokens.Count);
        Assert.Equal(300, breakdown.SteadyTokens[0][Hop.SchedulerQueue]);
        Assert.Equal(100, breakdown.SteadyTokens[1][Hop.SchedulerQueue]);
        Assert.Null(breakdown.SteadyTokens[0][Hop.Gateway]);
        Assert.Null(breakdown.SteadyTokens[0][Hop.Tokenizer]);
        Assert.True(breakdown.SteadyTokens[0].IsComplete(Hop.SchedulerQueue));
        Assert.Equal(200, breakdown.SteadyMean(Hop.SchedulerQueue));
        Assert.Equal(4_000, breakdown.SteadyMean(Hop.WorkerExecute));
        Assert.Equal(600, breakdown.SteadyMean(Hop.WorkerBus));
        Assert.Equal(50, breakdown.SteadyMean(Hop.GatewayWrite));
        Assert.Null(breakdown.SteadyMean(Hop.Tokenizer));
        // previous result → written: queue + the step's own hops
        Assert.Equal(1_006_900 + 5_350 - 1_006_600, breakdown.SteadyTokens[0].Total);
    }

    [Fact]
    public void The_first_token_is_the_first_chunk_with_text_and_a_textless_chunk_before_it_is_not_steady()
    {
        var breakdown = Compute(
            new TimedChunk(0, Step(1, 1_002_000), HasText: false),   // a token whose text waits for the next (mid UTF-8)
            new TimedChunk(0, Step(2, 1_006_900), HasText: true),
            new TimedChunk(0, Step(3, 1_011_600), HasText: true));

        Assert.Equal(1_006_900 - 1_001_750, breakdown.FirstToken![Hop.SchedulerQueue]);
        Assert.Equal(1_006_900 + 5_350 - Arrived, breakdown.FirstToken.Total);
        var steady = Assert.Single(breakdown.SteadyTokens);
        Assert.Equal(100, steady[Hop.SchedulerQueue]);
        Assert.Equal(3, breakdown.Tokens);
    }

    [Fact]
    public void Missing_stamps_leave_their_hops_out_and_the_rest_still_count()
    {
        var step = Step(1, 1_002_000);
        step.DetokenizerReceivedUs = 0; // e.g. an older detokenizer that does not stamp
        var breakdown = HopBreakdown.Compute(Arrived, [0], [null], [new TimedChunk(0, step, true)]);

        var first = breakdown.FirstToken!;
        foreach (Hop hop in new[] { Hop.Gateway, Hop.GatewayToTokenizer, Hop.Tokenizer, Hop.TokenizerToScheduler, Hop.SchedulerAdmit,
            Hop.SchedulerQueue, Hop.SchedulerToDetokenizer, Hop.Detokenizer })
        {
            Assert.Null(first[hop]);
        }
        Assert.Equal(4_000, first[Hop.WorkerExecute]);
        Assert.Equal(300, first[Hop.DetokenizerToGateway]);
        Assert.False(first.IsComplete(Hop.Gateway));
        Assert.Equal(4_000 + 600 + 100 + 300 + 50, first.Total);
        Assert.Equal(0, breakdown.Clamped);
    }

    [Fact]
    public void No_timed_chunk_gives_no_first_token()
    {
        var breakdown = Compute();

        Assert.Null(breakdown.FirstToken);
        Assert.Empty(breakdown.SteadyTokens);
        Assert.Equal(0, breakdown.Tokens);
    }

    [Fact]
    public void A_negative_difference_from_clock_skew_is_clamped_to_zero_and_counted()
    {
        var step = Step(1, 1_002_000);
        step.DetokenizerReceivedUs = step.DeltaPublishedUs - 700; // the detokenizer's clock runs behind the scheduler's
        step.DetokenizerPublishedUs = step.DetokenizerReceivedUs + 100;
        var breakdown = Compute(new TimedChunk(0, step, true));

        Assert.Equal(0, breakdown.FirstToken![Hop.SchedulerToDetokenizer]);
        Assert.Equal(100, breakdown.FirstToken[Hop.Detokenizer]);
        Assert.Equal(step.GatewayReceivedUs - step.DetokenizerPublishedUs, breakdown.FirstToken[Hop.DetokenizerToGateway]);
        Assert.Equal(1, breakdown.Clamped);
    }

    [Fact]
    public void A_plan_sent_before_the_previous_result_came_back_is_planned_ahead_not_skew()
    {
        // Async scheduling: step 2 goes out at 1_005_000 while the worker still runs step 1 (its result back at 1_006_600);
        // the worker runs step 2 next and its result is back at 1_011_000.
        var ahead = Step(2, 1_005_000);
        ahead.ResultReceivedUs = 1_011_000;
        ahead.DeltaPublishedUs = 1_011_100;
        ahead.DetokenizerReceivedUs = 1_011_300;
        ahead.DetokenizerPublishedUs = 1_011_400;
        ahead.GatewayReceivedUs = 1_011_700;
        ahead.GatewayWrittenUs = 1_011_750;
        var breakdown = Compute(new TimedChunk(0, Step(1, 1_002_000), true), new TimedChunk(0, ahead, true));

        var steady = Assert.Single(breakdown.SteadyTokens);
        Assert.Equal(0, steady[Hop.SchedulerQueue]);
        // The cycle runs from the previous result: 4_400 µs between results, 4_000 of them computing.
        Assert.Equal(400, steady[Hop.WorkerBus]);
        Assert.Equal(1_011_750 - 1_006_600, steady.Total);
        Assert.Equal(1, breakdown.PlannedAhead);
        Assert.Equal(0, breakdown.Clamped);
    }

    [Fact]
    public void A_planned_ahead_step_whose_previous_result_was_read_late_has_a_negative_bus_time_not_a_clamp()
    {
        // Step 1's result was read at 1_006_600, but the worker had finished it earlier and started step 2 (planned at
        // 1_005_000) already: step 2's result is read at 1_009_000, 2_400 µs after step 1's, for 4_000 µs of compute.
        var ahead = Step(2, 1_005_000);
        ahead.ResultReceivedUs = 1_009_000;
        var breakdown = Compute(new TimedChunk(0, Step(1, 1_002_000), true), new TimedChunk(0, ahead, true));

        var steady = Assert.Single(breakdown.SteadyTokens);
        Assert.Equal(-1_600, steady[Hop.WorkerBus]);
        Assert.Equal(2_400, steady[Hop.SchedulerQueue] + steady[Hop.WorkerExecute] + steady[Hop.WorkerBus]);
        Assert.Equal(0, breakdown.Clamped);
    }

    [Fact]
    public void Each_prompt_s_steady_tokens_follow_that_prompt_s_previous_result()
    {
        var breakdown = HopBreakdown.Compute(Arrived, [TokenizePublished, TokenizePublished], [Request(), Request()],
        [
            new TimedChunk(0, Step(1, 1_002_000), true),
            new TimedChunk(1, Step(1, 1_002_000), true),
            new TimedChunk(0, Step(2, 1_006_700), true),
            new TimedChunk(1, Step(2, 1_006_700), true),
        ]);

        Assert.Equal(2, breakdown.SteadyTokens.Count); // prompt 1's first chunk is neither the first token nor steady
        Assert.All(breakdown.SteadyTokens, t => Assert.Equal(100, t[Hop.SchedulerQueue]));
    }

    [Fact]
    public void The_json_object_has_every_hop_the_means_each_tokens_values_and_the_counts()
    {
        var step = Step(3, 1_011_600);
        step.DetokenizerReceivedUs = 0;
        var breakdown = Compute(new TimedChunk(0, Step(1, 1_002_000), true), new TimedChunk(0, Step(2, 1_006_900), true),
            new TimedChunk(0, step, true));

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            HopTimingJson.Write(w, breakdown);
            w.WriteEndObject();
        }
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(stream.ToArray()));
        var timing = doc.RootElement.GetProperty("llmserve_timing");

        var first = timing.GetProperty("first_token");
        Assert.Equal(14, first.EnumerateObject().Count()); // 13 hops + total
        Assert.Equal(1_000, first.GetProperty("tokenizer_us").GetInt64());
        Assert.Equal(1_002_000 + 5_350 - Arrived, first.GetProperty("total_us").GetInt64());
        var mean = timing.GetProperty("per_token_mean");
        Assert.Equal(200, mean.GetProperty("scheduler_queue_us").GetDouble());
        Assert.Equal(200, mean.GetProperty("scheduler_to_detokenizer_us").GetDouble()); // only the token that has it
        Assert.False(mean.TryGetProperty("tokenizer_us", out _));
        var perToken = timing.GetProperty("per_token");
        Assert.Equal(8, perToken.EnumerateObject().Count());
        Assert.Equal([300L, 100L], perToken.GetProperty("scheduler_queue_us").EnumerateArray().Select(v => v.GetInt64()));
        Assert.Equal(JsonValueKind.Null, perToken.GetProperty("detokenizer_us")[1].ValueKind);
        Assert.Equal(3, timing.GetProperty("tokens").GetInt32());
        Assert.Equal(2, timing.GetProperty("steady_tokens").GetInt32());
        Assert.Equal(0, timing.GetProperty("clamped").GetInt32());
        Assert.Equal(0, timing.GetProperty("planned_ahead").GetInt32());
        Assert.Equal(Arrived, timing.GetProperty("arrival_unix_us").GetInt64());
        Assert.Equal(Arrived + first.GetProperty("total_us").GetInt64(), timing.GetProperty("first_token_written_unix_us").GetInt64());
    }
}
