using LlmServe.Contracts;
using LlmServe.Scheduler.Planning;
using LlmServe.Scheduler.Tests.Fakes;
using static LlmServe.Scheduler.Tests.Fakes.PlannerHarness;

namespace LlmServe.Scheduler.Tests.Planning;

/// <summary>
/// Planning the next step while one is in flight (<see cref="PlannerLimits.MaxStepsInFlight"/> = 2): decodes whose
/// input is still being sampled carry the deferred token, and every output must match planning one step at a time.
/// The fake worker reads tokens back through the block tables, so a wrong position or a block reused too early
/// changes the output.
/// </summary>
public sealed class AsyncSchedulingTests
{
    private static PlannerLimits Limits(int stepsInFlight, int batchedTokens = 2048, int maxModelLen = 100_000) => new()
    {
        MaxStepsInFlight = stepsInFlight,
        MaxNumBatchedTokens = batchedTokens,
        MaxModelLen = maxModelLen,
        EosTokenIds = [7],
    };

    private static void SubmitMix(PlannerHarness h)
    {
        int[] shared = Prompt(40, 99);
        for (int i = 0; i < 12; i++)
        {
            int[] prompt = i % 3 == 0 ? [.. shared, .. Prompt(3 + i, i)] : Prompt(5 + (7 * i), i);
            h.Submit(prompt, maxTokens: 3 + (5 * i % 23), n: 1 + (i % 3), id: $"r{i}");
        }
    }

    [Fact]
    public void Planning_ahead_gives_the_same_tokens_as_one_step_at_a_time()
    {
        var sync = new PlannerHarness(200, blockSize: 4, limits: Limits(1, batchedTokens: 48));
        var ahead = new PlannerHarness(200, blockSize: 4, limits: Limits(2, batchedTokens: 48)) { KeepPlans = true };
        // Some sequences end on EOS after a step was already planned past it.
        sync.Worker.ForcedTokens = ahead.Worker.ForcedTokens = (id, length) => id % 4 == 1 && length % 9 == 0 ? 7 : null;
        SubmitMix(sync);
        SubmitMix(ahead);

        sync.RunToCompletion();
        ahead.RunToCompletion();

        Assert.Equal(sync.Outputs.Count, ahead.Outputs.Count);
        foreach (var (key, tokens) in sync.Outputs)
        {
            Assert.Equal(tokens, ahead.Outputs[key]);
            Assert.Equal(sync.Finishes[key], ahead.Finishes[key]);
        }
        Assert.Contains(FinishReason.Stop, ahead.Finishes.Values);
        Assert.Equal(12, ahead.CompletedRequests.Count);
        ahead.AssertNoLeaks();
        Assert.Equal(0, ahead.PreemptionsPlannedAhead);
        Assert.Contains(ahead.Plans, p => p.DecodeTokenIds.Contains(StepPlan.DeferredToken));
    }

    [Fact]
    public void A_step_planned_ahead_feeds_the_token_in_flight_at_the_next_position()
    {
        var h = new PlannerHarness(64, blockSize: 4, limits: Limits(2)) { KeepPlans = true };
        h.Submit(Prompt(6, 1), maxTokens: 4, id: "a");

        h.Send();

        Assert.Equal(2, h.StepsInFlight);
        StepPlan prefill = h.Plans[0];
        StepPlan ahead = h.Plans[1];
        Assert.True(Assert.Single(prefill.Sequences).Sample);
        Assert.Equal(6, prefill.Sequences[0].TokenIds.Count);
        Assert.Equal([StepPlan.DeferredToken], ahead.DecodeTokenIds);
        Assert.Equal([6], ahead.DecodePositions);
        Assert.Empty(ahead.Sequences);

        h.RunToCompletion();
        Assert.Equal(4, h.Outputs[("a", 0)].Count);
        // Prefill, then one decode per further token: nothing is computed past max_tokens.
        Assert.Equal(4, h.Plans.Count);
        Assert.All(h.Plans.Skip(1), p => Assert.Equal([StepPlan.DeferredToken], p.DecodeTokenIds));
        Assert.Equal([6, 7, 8], h.Plans.Skip(1).Select(p => p.DecodePositions[0]));
    }

    [Fact]
    public void A_sequence_that_stops_on_the_token_in_flight_loses_only_that_one_step()
    {
        var h = new PlannerHarness(64, blockSize: 4, limits: Limits(2)) { KeepPlans = true };
        h.Worker.ForcedTokens = (_, length) => length == 8 ? 7 : null; // EOS as the third output token
        SchedulerRequest request = h.Submit(Prompt(6, 2), maxTokens: 50, id: "eos");
        ulong id = request.SequenceList[0].Id;

        h.RunToCompletion();

        Assert.Equal(FinishReason.Stop, h.Finishes[("eos", 0)]);
        Assert.Equal(3, h.Outputs[("eos", 0)].Count);
        Assert.Equal(7, h.Outputs[("eos", 0)][^1]);
        // Steps: prefill, two decodes, and the one planned past EOS whose token is dropped.
        Assert.Equal(4, h.Plans.Count(p => p.DecodeSequenceIds.Contains(id) || p.Sequences.Any(s => s.SequenceId == id)));
        h.AssertNoLeaks();
        Assert.Equal(["eos"], h.CompletedRequests);
    }

    [Fact]
    public void Cancelling_a_sequence_in_two_steps_finishes_it_at_the_oldest_result_and_frees_its_blocks()
    {
        var h = new PlannerHarness(64, blockSize: 4, limits: Limits(2));
        h.Submit(Prompt(6, 3), maxTokens: 40, id: "keep");
        h.Submit(Prompt(9, 4), maxTokens: 40, id: "drop");
        h.Step();
        h.Step();
        h.Send();
        Assert.Equal(2, h.StepsInFlight);
        int before = h.Outputs[("drop", 0)].Count;

        Assert.True(h.Planner.Cancel("drop", -1, FinishReason.Abort));
        h.Step(); // the oldest result: "drop" finishes now, its later token is dropped
        Assert.Equal(FinishReason.Abort, h.Finishes[("drop", 0)]);
        int after = h.Outputs[("drop", 0)].Count;
        h.RunToCompletion();

        Assert.Equal(after, h.Outputs[("drop", 0)].Count);
        Assert.InRange(after - before, 0, 1);
        Assert.Equal(40, h.Outputs[("keep", 0)].Count);
        h.AssertNoLeaks();
    }

    [Fact]
    public void Planning_ahead_never_preempts_and_a_squeezed_cache_still_gives_the_same_output()
    {
        Dictionary<(string, int), List<int>> Run(int blocks, int stepsInFlight, out long preemptions)
        {
            var h = new PlannerHarness(blocks, blockSize: 4, limits: Limits(stepsInFlight, batchedTokens: 64, maxModelLen: 1000));
            for (int i = 0; i < 6; i++)
            {
                h.Submit(Prompt(10 + i, i), maxTokens: 30, id: $"r{i}");
            }
            h.RunToCompletion();
            // Preemption happens only when a step is planned with nothing in flight.
            Assert.Equal(0, h.PreemptionsPlannedAhead);
            h.AssertNoLeaks();
            Assert.Equal(6, h.CompletedRequests.Count);
            preemptions = h.Planner.PreemptionsTotal;
            return h.Outputs;
        }

        var reference = Run(1000, 1, out long none);
        var squeezed = Run(24, 2, out long preemptions);
        Assert.Equal(0, none);
        Assert.True(preemptions > 0, "the small cache should force preemptions");
        foreach (var (key, tokens) in reference)
        {
            Assert.Equal(tokens, squeezed[key]);
        }
    }

    [Fact]
    public void A_plan_with_two_steps_in_flight_is_refused_until_the_oldest_result_is_in()
    {
        var h = new PlannerHarness(64, blockSize: 4, limits: Limits(2));
        h.Submit(Prompt(6, 5), maxTokens: 10, id: "a");
        h.Send();

        Assert.False(h.Planner.CanPlan);
        Assert.Throws<InvalidOperationException>(() => h.Planner.PlanStep());
        var wrong = new StepResult { StepId = h.Planner.StepId };
        Assert.Throws<InvalidOperationException>(() => h.Planner.ApplyResult(wrong));
        Assert.Equal(h.Planner.StepId - 1, h.Planner.OldestStepInFlight);
    }
}
