using LlmServe.Contracts;
using LlmServe.Scheduler.Planning;
using LlmServe.Scheduler.Tests.Fakes;

namespace LlmServe.Scheduler.Tests.Planning;

public sealed class StepPlannerTests
{
    private static int[] Prompt(int length, int seed) => PlannerHarness.Prompt(length, seed);

    [Fact]
    public void Admits_in_arrival_order_and_sends_full_state_only_on_the_first_step()
    {
        var h = new PlannerHarness(100);
        h.Submit(Prompt(5, 1), maxTokens: 3, id: "a");
        h.Submit(Prompt(7, 2), maxTokens: 3, id: "b");

        StepPlan first = h.Planner.PlanStep()!.Clone();
        Assert.Equal(2, first.Rows().Count);
        Assert.All(first.Rows(), s => Assert.True(s.IsNew));
        Assert.All(first.Rows(), s => Assert.True(s.Sample));
        Assert.Equal(5, first.Rows()[0].TokenIds.Count);
        Assert.Equal(5, first.Rows()[0].PromptTokenIds.Count);
        Assert.NotNull(first.Rows()[0].Sampling);
        Assert.Single(first.Rows()[0].NewBlockIds);
        Assert.True(first.Rows()[0].SequenceId < first.Rows()[1].SequenceId);
        h.Planner.ApplyResult(h.Worker.Execute(first));
        h.Collect();

        StepPlan second = h.Planner.PlanStep()!.Clone();
        Assert.All(second.Rows(), s =>
        {
            Assert.False(s.IsNew);
            Assert.Single(s.TokenIds);
            Assert.Empty(s.PromptTokenIds);
            Assert.Null(s.Sampling);
            Assert.Empty(s.NewBlockIds);
        });
        Assert.Empty(second.Sequences); // steady decodes travel as packed rows only
        Assert.Equal(2, second.DecodeSequenceIds.Count);
        Assert.Equal(5, second.Rows()[0].StartPosition);
        Assert.Equal(h.Outputs[("a", 0)][0], second.Rows()[0].TokenIds[0]);
        h.Planner.ApplyResult(h.Worker.Execute(second));
        h.Collect();
        h.RunToCompletion();

        Assert.Equal(["a", "b"], h.CompletedRequests);
        Assert.Equal(3, h.Outputs[("a", 0)].Count);
        Assert.Equal(FinishReason.Length, h.Finishes[("a", 0)]);
        h.AssertNoLeaks();
    }

    [Fact]
    public void New_blocks_are_sent_as_deltas_when_a_decode_crosses_a_block_boundary()
    {
        var h = new PlannerHarness(100, blockSize: 4) { KeepPlans = true };
        h.Submit(Prompt(3, 1), maxTokens: 6);
        h.RunToCompletion();
        // Prefill fills positions 0..2 of block 0; a second block is needed when position 4 is fed.
        int[] sizes = h.Plans.Select(p => p.Rows()[0].NewBlockIds.Count).ToArray();
        Assert.Equal([1, 0, 1, 0, 0, 0], sizes);
        Assert.Equal([0, 3, 4, 5, 6, 7], h.Plans.Select(p => p.Rows()[0].StartPosition));
    }

    [Fact]
    public void Token_budget_chunks_long_prompts_and_samples_only_after_the_last_chunk()
    {
        var h = new PlannerHarness(100, limits: new PlannerLimits { MaxNumBatchedTokens = 32, MaxModelLen = 1000 }) { KeepPlans = true };
        h.Submit(Prompt(100, 1), maxTokens: 2);
        h.RunToCompletion();
        Assert.Equal([32, 32, 32, 4, 1], h.Plans.Select(p => p.Rows()[0].TokenIds.Count));
        Assert.Equal([false, false, false, true, true], h.Plans.Select(p => p.Rows()[0].Sample));
        Assert.Equal([true, false, false, false, false], h.Plans.Select(p => p.Rows()[0].IsNew));
        Assert.Equal(h.Worker.NextToken(Prompt(100, 1)), h.Outputs[("req-0", 0)][0]);
    }

    [Fact]
    public void Decodes_go_first_and_prefill_chunks_fill_the_rest_of_the_budget()
    {
        var h = new PlannerHarness(100, limits: new PlannerLimits { MaxNumBatchedTokens = 16, MaxModelLen = 1000 });
        h.Submit(Prompt(4, 1), maxTokens: 50, id: "short");
        h.Step(); // prefill of "short"
        h.Submit(Prompt(60, 2), maxTokens: 2, id: "long");
        StepPlan plan = h.Planner.PlanStep()!;
        Assert.Equal(2, plan.Rows().Count);
        Assert.Single(plan.Rows()[0].TokenIds); // the decode
        Assert.Equal(15, plan.Rows()[1].TokenIds.Count); // the chunk gets what is left
        Assert.False(plan.Rows()[1].Sample);
    }

    [Fact]
    public void Max_num_seqs_bounds_the_running_set()
    {
        var h = new PlannerHarness(100, limits: new PlannerLimits { MaxNumSeqs = 2, MaxModelLen = 1000 });
        for (int i = 0; i < 5; i++)
        {
            h.Submit(Prompt(3, i), maxTokens: 4);
        }
        int maxRunning = 0;
        while (h.Step())
        {
            maxRunning = Math.Max(maxRunning, h.Planner.RunningCount);
            Assert.True(h.Planner.RunningCount <= 2);
        }
        Assert.Equal(2, maxRunning);
        Assert.Equal(5, h.CompletedRequests.Count);
        Assert.Equal(["req-0", "req-1", "req-2", "req-3", "req-4"], h.CompletedRequests);
    }

    [Fact]
    public void Priority_policy_admits_lower_values_first_then_by_arrival()
    {
        var limits = new PlannerLimits { MaxNumSeqs = 1, MaxModelLen = 1000, Policy = SchedulingPolicy.Priority };
        var h = new PlannerHarness(100, limits: limits);
        h.Submit(Prompt(3, 1), maxTokens: 2, priority: 5, id: "p5");
        h.Submit(Prompt(3, 2), maxTokens: 2, priority: 1, id: "p1-early");
        h.Submit(Prompt(3, 3), maxTokens: 2, priority: 1, id: "p1-late");
        h.Submit(Prompt(3, 4), maxTokens: 2, priority: 0, id: "p0");
        h.RunToCompletion();
        Assert.Equal(["p0", "p1-early", "p1-late", "p5"], h.CompletedRequests);
    }

    [Fact]
    public void Fcfs_ignores_priority()
    {
        var h = new PlannerHarness(100, limits: new PlannerLimits { MaxNumSeqs = 1, MaxModelLen = 1000 });
        h.Submit(Prompt(3, 1), maxTokens: 2, priority: 5, id: "first");
        h.Submit(Prompt(3, 2), maxTokens: 2, priority: 0, id: "second");
        h.RunToCompletion();
        Assert.Equal(["first", "second"], h.CompletedRequests);
    }

    [Fact]
    public void Preemption_by_recompute_gives_the_same_output_as_a_run_without_it()
    {
        Dictionary<(string, int), List<int>> Run(int blocks, out long preemptions)
        {
            var h = new PlannerHarness(blocks, blockSize: 4, limits: new PlannerLimits { MaxNumBatchedTokens = 64, MaxModelLen = 1000 });
            for (int i = 0; i < 6; i++)
            {
                h.Submit(Prompt(10 + i, i), maxTokens: 30, id: $"r{i}");
            }
            h.RunToCompletion();
            h.AssertNoLeaks();
            Assert.Equal(6, h.CompletedRequests.Count);
            preemptions = h.Planner.PreemptionsTotal;
            return h.Outputs;
        }

        var reference = Run(1000, out long none);
        var squeezed = Run(24, out long preemptions);
        Assert.Equal(0, none);
        Assert.True(preemptions > 0, "the small cache should force preemptions");
        foreach (var (key, tokens) in reference)
        {
            Assert.Equal(tokens, squeezed[key]);
        }
    }

    [Fact]
    public void A_resumed_sequence_is_sent_with_its_generated_tokens()
    {
        var h = new PlannerHarness(6, blockSize: 4, limits: new PlannerLimits { MaxModelLen = 1000 }) { KeepPlans = true };
        h.Submit(Prompt(4, 1), maxTokens: 12, id: "old");
        h.Submit(Prompt(4, 2), maxTokens: 12, id: "new");
        h.RunToCompletion();
        Assert.True(h.Planner.PreemptionsTotal > 0);
        ScheduledSequence resumed = h.Plans.SelectMany(p => p.Rows()).First(s => s.IsNew && s.ResumedOutputTokenIds.Count > 0);
        Assert.Equal(4, resumed.PromptTokenIds.Count);
        // Everything known and not served from the cache is recomputed: prompt, then the generated tokens.
        int[] known = [.. resumed.PromptTokenIds, .. resumed.ResumedOutputTokenIds];
        Assert.Equal(known[resumed.StartPosition..], resumed.TokenIds);
        Assert.True(resumed.Sample);
        Assert.Contains(h.Plans, p => p.ReleasedSequenceIds.Contains(resumed.SequenceId));
        Assert.Equal(12, h.Outputs[("old", 0)].Count);
        Assert.Equal(12, h.Outputs[("new", 0)].Count);
    }

    [Fact]
    public void The_newest_sequence_is_preempted_first_under_fcfs()
    {
        var h = new PlannerHarness(5, blockSize: 4, limits: new PlannerLimits { MaxModelLen = 1000 });
        SchedulerRequest old = h.Submit(Prompt(4, 1), maxTokens: 12, id: "old");
        SchedulerRequest young = h.Submit(Prompt(4, 2), maxTokens: 12, id: "young");
        while (h.Planner.PreemptionsTotal == 0 && h.Step())
        {
        }
        Assert.Equal(0, old.Sequences[0].Preemptions);
        Assert.Equal(1, young.Sequences[0].Preemptions);
    }

    [Fact]
    public void Prefix_cache_hits_skip_shared_prompt_blocks_and_are_reported_as_cached_tokens()
    {
        var h = new PlannerHarness(100, blockSize: 16) { KeepPlans = true };
        int[] system = Prompt(48, 9);
        h.Submit([.. system, 1, 2, 3], maxTokens: 2, id: "first");
        h.RunToCompletion();
        SchedulerRequest second = h.Submit([.. system, 4, 5], maxTokens: 2, id: "second");
        h.Plans.Clear();
        h.RunToCompletion();

        ScheduledSequence admitted = h.Plans[0].Rows()[0];
        Assert.True(admitted.IsNew);
        Assert.Equal(48, admitted.StartPosition);
        Assert.Equal(2, admitted.TokenIds.Count);
        Assert.Equal(4, admitted.NewBlockIds.Count); // the whole table: 3 cached + 1 new
        Assert.Equal(48, second.Sequences[0].CachedPromptTokens);
        Assert.Equal(h.Worker.NextToken([.. system, 4, 5]), h.Outputs[("second", 0)][0]);
        Assert.Equal(48, h.Cache.PrefixHitTokens);
        h.AssertNoLeaks();
    }

    [Fact]
    public void N_choices_share_the_prompt_blocks_and_each_finish()
    {
        var h = new PlannerHarness(100, blockSize: 4, prefixCaching: false) { KeepPlans = true };
        SchedulerRequest request = h.Submit(Prompt(10, 3), maxTokens: 5, n: 3, id: "n3");
        h.Step(); // prefill of choice 0 only
        Assert.Single(h.Plans[0].Rows());
        h.Step(); // choice 0 decodes; 1 and 2 fork from its prompt blocks
        StepPlan forked = h.Plans[1];
        Assert.Equal(3, forked.Rows().Count);
        int[] parentTable = request.Sequences[0].Kv.BlockTable.ToArray();
        foreach (ScheduledSequence child in forked.Rows().Where(s => s.IsNew))
        {
            Assert.Equal(8, child.StartPosition);
            Assert.Equal(2, child.TokenIds.Count);
            Assert.Equal(parentTable[..2], child.NewBlockIds.Take(2));
        }
        Assert.Equal(3, h.Cache.Pool.RefCount(parentTable[0]));
        h.RunToCompletion();
        Assert.Equal(["n3"], h.CompletedRequests);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(5, h.Outputs[("n3", c)].Count);
        }
        h.AssertNoLeaks();
    }

    [Fact]
    public void Cancelling_a_sequence_in_flight_frees_its_blocks_after_that_step()
    {
        var h = new PlannerHarness(100);
        h.Submit(Prompt(20, 1), maxTokens: 100, id: "gone");
        h.Step();
        StepPlan plan = h.Planner.PlanStep()!;
        Assert.True(h.Planner.Cancel("gone", -1, FinishReason.Abort));
        Assert.True(h.Cache.FreeBlocks < 100); // still computing
        h.Planner.ApplyResult(h.Worker.Execute(plan));
        h.Collect();
        h.AssertNoLeaks();
        Assert.Equal(FinishReason.Abort, h.Finishes[("gone", 0)]);
        Assert.Single(h.Outputs[("gone", 0)]); // the in-flight token is dropped
        Assert.Equal(["gone"], h.CompletedRequests);
        Assert.Null(h.Planner.PlanStep()); // nothing left; the release rides on the next real step
    }

    [Fact]
    public void Cancelling_one_choice_leaves_the_others_running()
    {
        var h = new PlannerHarness(100, blockSize: 4);
        h.Submit(Prompt(6, 1), maxTokens: 6, n: 2, id: "two");
        h.Step();
        h.Step();
        Assert.True(h.Planner.Cancel("two", 1, FinishReason.Stop));
        h.RunToCompletion();
        Assert.Equal(FinishReason.Stop, h.Finishes[("two", 1)]);
        Assert.Equal(FinishReason.Length, h.Finishes[("two", 0)]);
        Assert.Equal(6, h.Outputs[("two", 0)].Count);
        Assert.True(h.Outputs[("two", 1)].Count < 6);
        h.AssertNoLeaks();
    }

    [Fact]
    public void Cancelling_a_waiting_request_finishes_it_at_once()
    {
        var h = new PlannerHarness(100, limits: new PlannerLimits { MaxNumSeqs = 1, MaxModelLen = 1000 });
        h.Submit(Prompt(3, 1), maxTokens: 5, id: "running");
        h.Submit(Prompt(3, 2), maxTokens: 5, id: "waiting");
        h.Step();
        Assert.True(h.Planner.Cancel("waiting", -1, FinishReason.Abort));
        h.Collect();
        Assert.Equal(["waiting"], h.CompletedRequests);
        Assert.False(h.Planner.Cancel("waiting", -1, FinishReason.Abort));
        h.RunToCompletion();
        h.AssertNoLeaks();
    }

    [Fact]
    public void Refuses_requests_that_can_never_run_with_typed_errors()
    {
        var h = new PlannerHarness(4, blockSize: 16, limits: new PlannerLimits { MaxModelLen = 1000, MaxWaiting = 2 });
        var tooLarge = Assert.Throws<RequestTooLargeException>(() => h.Submit(Prompt(100, 1), maxTokens: 1));
        Assert.Equal(ErrorCode.TooLarge, tooLarge.ToError().Code);
        Assert.Throws<RequestTooLargeException>(() => h.Submit(Prompt(40, 1), maxTokens: 40));
        Assert.Throws<ContextLengthExceededException>(() => h.Submit(Prompt(1000, 1), maxTokens: 1));
        var overLength = Assert.Throws<ContextLengthExceededException>(() => h.Submit(Prompt(10, 1), maxTokens: 995));
        Assert.Equal("max_tokens", overLength.Param);
        Assert.Throws<InvalidScheduleRequestException>(() => h.Submit([], maxTokens: 1));
        h.Submit(Prompt(5, 1), id: "dup");
        Assert.Throws<InvalidScheduleRequestException>(() => h.Submit(Prompt(5, 1), id: "dup"));
        h.Submit(Prompt(5, 2));
        var overloaded = Assert.Throws<OverloadedException>(() => h.Submit(Prompt(5, 3)));
        Assert.True(overloaded.Retryable);
    }

    [Fact]
    public void Without_max_tokens_a_sequence_stops_at_the_context_limit()
    {
        var h = new PlannerHarness(100, limits: new PlannerLimits { MaxModelLen = 20 });
        h.Submit(Prompt(15, 1), maxTokens: 0, id: "open");
        h.RunToCompletion();
        Assert.Equal(5, h.Outputs[("open", 0)].Count);
        Assert.Equal(FinishReason.Length, h.Finishes[("open", 0)]);
    }

    [Fact]
    public void Eos_stops_unless_ignored_and_not_before_min_tokens()
    {
        const int Eos = 7;
        PlannerHarness Make()
        {
            var h = new PlannerHarness(100, limits: new PlannerLimits { MaxModelLen = 1000, EosTokenIds = [Eos] });
            h.Worker.ForcedTokens = (_, length) => length >= 6 ? Eos : null; // EOS from the 3rd output token on
            return h;
        }

        var plain = Make();
        plain.Submit(Prompt(4, 1), maxTokens: 10, id: "a");
        plain.RunToCompletion();
        Assert.Equal(3, plain.Outputs[("a", 0)].Count);
        Assert.Equal(Eos, plain.Outputs[("a", 0)][^1]);
        Assert.Equal(FinishReason.Stop, plain.Finishes[("a", 0)]);
        Assert.Equal(0, plain.StopTokens[("a", 0)]);

        var ignoring = Make();
        ignoring.Submit(Prompt(4, 1), maxTokens: 10, id: "a", configure: s => s.IgnoreEos = true);
        ignoring.RunToCompletion();
        Assert.Equal(10, ignoring.Outputs[("a", 0)].Count);
        Assert.Equal(FinishReason.Length, ignoring.Finishes[("a", 0)]);

        var minimum = Make();
        minimum.Submit(Prompt(4, 1), maxTokens: 10, id: "a", configure: s => s.MinTokens = 5);
        minimum.RunToCompletion();
        Assert.Equal(5, minimum.Outputs[("a", 0)].Count);
        Assert.Equal(FinishReason.Stop, minimum.Finishes[("a", 0)]);
    }

    [Fact]
    public void A_stop_token_id_stops_and_is_reported()
    {
        var h = new PlannerHarness(100);
        h.Worker.ForcedTokens = (_, length) => length == 6 ? 42 : null;
        h.Submit(Prompt(4, 1), maxTokens: 10, id: "a", configure: s => s.StopTokenIds.Add(42));
        h.RunToCompletion();
        Assert.Equal(3, h.Outputs[("a", 0)].Count);
        Assert.Equal(FinishReason.Stop, h.Finishes[("a", 0)]);
        Assert.Equal(42, h.StopTokens[("a", 0)]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)] // async scheduling: steps planned ahead, cancels landing between them
    public void No_block_leaks_after_ten_thousand_random_operations(int stepsInFlight)
    {
        var random = new Random(1234);
        var limits = new PlannerLimits
        {
            MaxNumSeqs = 16, MaxNumBatchedTokens = 96, MaxModelLen = 200, MaxWaiting = 10_000, EosTokenIds = [3],
            MaxStepsInFlight = stepsInFlight,
        };
        var h = new PlannerHarness(48, blockSize: 4, prefixCaching: true, watermarkBlocks: 2, limits: limits);
        var live = new List<string>();
        int[][] shared = [Prompt(12, 100), Prompt(20, 101)];
        for (int op = 0; op < 10_000; op++)
        {
            int action = random.Next(10);
            if (action < 3)
            {
                int[] prompt = RandomPrompt(random, shared);
                string id = $"r{op}";
                try
                {
                    h.Submit(prompt, maxTokens: random.Next(0, 40), n: random.Next(1, 4), id: id,
                        configure: s => s.IgnoreEos = random.Next(4) == 0);
                    live.Add(id);
                }
                catch (SchedulingException)
                {
                    // too long for this tiny cache: refused, nothing held
                }
            }
            else if (action < 4 && live.Count > 0)
            {
                string id = live[random.Next(live.Count)];
                h.Planner.Cancel(id, random.Next(-1, 3), FinishReason.Abort);
                h.Collect();
            }
            else
            {
                h.Step();
            }
            if (h.CompletedRequests.Count > 0)
            {
                var done = h.CompletedRequests.ToHashSet();
                live.RemoveAll(done.Contains);
                h.CompletedRequests.Clear();
            }
        }
        foreach (string id in live)
        {
            h.Planner.Cancel(id, -1, FinishReason.Abort);
        }
        h.Collect();
        h.RunToCompletion();
        Assert.Equal(0, h.Planner.RequestCount);
        Assert.Equal(0, h.Planner.RunningCount);
        Assert.Equal(0, h.Planner.WaitingCount);
        h.AssertNoLeaks();
        Assert.True(h.Planner.PreemptionsTotal > 0);
        Assert.True(h.Cache.PrefixHitTokens > 0);
    }

    /// <summary>
    /// The fake model reads every token back through the block tables, so a block shared by mistake, freed too early,
    /// a bad prefix hit or a stale table changes what a request produces: random arrivals, cancels, preemptions and
    /// prefix hits must leave every request that was not cancelled with exactly what it produces alone.
    /// </summary>
    [Theory]
    [InlineData(1, 48, 4)]
    [InlineData(2, 48, 4)] // async scheduling
    [InlineData(1, 300, 16)]
    [InlineData(2, 300, 16)]
    public void Random_operations_leave_every_request_its_alone_output(int stepsInFlight, int blocks, int blockSize)
    {
        int checkedChoices = 0;
        for (int seed = 0; seed < 8; seed++)
        {
            var random = new Random(seed);
            var limits = new PlannerLimits
            {
                MaxNumSeqs = 16, MaxNumBatchedTokens = 96, MaxModelLen = 200, MaxWaiting = 10_000, EosTokenIds = [3],
                MaxStepsInFlight = stepsInFlight,
            };
            var h = new PlannerHarness(blocks, blockSize, prefixCaching: true, watermarkBlocks: 2, limits: limits);
            var expected = new Dictionary<string, List<int>>();
            var cancelled = new HashSet<string>();
            int[][] shared = [Prompt(12, 100), Prompt(20, 101)];
            for (int op = 0; op < 2000; op++)
            {
                int action = random.Next(10);
                if (action < 3)
                {
                    int[] prompt = RandomPrompt(random, shared);
                    string id = $"r{op}";
                    int maxTokens = random.Next(1, 40);
                    bool ignoreEos = random.Next(4) == 0;
                    try
                    {
                        h.Submit(prompt, maxTokens, n: random.Next(1, 4), id: id, configure: s => s.IgnoreEos = ignoreEos);
                    }
                    catch (SchedulingException)
                    {
                        continue; // too long for this tiny cache
                    }
                    expected[id] = Alone(h.Worker, prompt, maxTokens, ignoreEos);
                }
                else if (action < 4 && expected.Count > 0)
                {
                    string id = expected.Keys.ElementAt(random.Next(expected.Count));
                    h.Planner.Cancel(id, -1, FinishReason.Abort);
                    cancelled.Add(id);
                    h.Collect();
                }
                else
                {
                    h.Step();
                }
            }
            h.RunToCompletion();
            foreach (var ((id, choice), tokens) in h.Outputs)
            {
                if (!cancelled.Contains(id))
                {
                    Assert.True(expected[id].SequenceEqual(tokens), $"seed {seed}, {id} choice {choice}: expected {string.Join(",", expected[id])}, got {string.Join(",", tokens)}");
                    checkedChoices++;
                }
            }
            h.AssertNoLeaks();
        }
        Assert.True(checkedChoices > 1000, $"only {checkedChoices} choices ran to the end");
    }

    private static List<int> Alone(FakeWorker model, int[] prompt, int maxTokens, bool ignoreEos)
    {
        var tokens = prompt.ToList();
        var output = new List<int>();
        while (output.Count < maxTokens)
        {
            int token = model.NextToken(tokens.ToArray());
            tokens.Add(token);
            output.Add(token);
            if (token == 3 && !ignoreEos)
            {
                break;
            }
        }
        return output;
    }

    // Half fresh prompts, half one of the shared prefixes plus a short tail, so prefix-cache hits happen.
    private static int[] RandomPrompt(Random random, int[][] shared) => random.Next(2) == 0
        ? Prompt(random.Next(1, 60), random.Next())
        : [.. shared[random.Next(2)], .. Prompt(random.Next(1, 10), random.Next())];
}
