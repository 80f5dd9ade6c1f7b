using LlmServe.Contracts;
using LlmServe.Scheduler.KvCache;
using LlmServe.Scheduler.Planning;

namespace LlmServe.Scheduler.Tests.Fakes;

/// <summary>
/// Drives a planner against a <see cref="FakeWorker"/> and records what each choice produced. With
/// <see cref="PlannerLimits.MaxStepsInFlight"/> 2 it plans ahead like the service: the worker runs each plan as it is
/// sent (in order, as a real worker does) and the planner gets each result only after the next step was planned.
/// </summary>
internal sealed class PlannerHarness
{
    private readonly Queue<StepResult> _results = new();
    private long _requestCounter;

    public PlannerHarness(int numBlocks, int blockSize = 16, bool prefixCaching = true, int watermarkBlocks = 0,
        PlannerLimits? limits = null)
    {
        Cache = new KvCacheManager(numBlocks, blockSize, prefixCaching, watermarkBlocks);
        Planner = new StepPlanner(Cache, limits ?? new PlannerLimits { MaxModelLen = 100_000 });
        Worker = new FakeWorker(numBlocks, blockSize);
    }

    public KvCacheManager Cache { get; }

    public StepPlanner Planner { get; }

    public FakeWorker Worker { get; }

    /// <summary>Output tokens per (request id, choice).</summary>
    public Dictionary<(string, int), List<int>> Outputs { get; } = [];

    public Dictionary<(string, int), FinishReason> Finishes { get; } = [];

    public Dictionary<(string, int), int> StopTokens { get; } = [];

    public List<string> CompletedRequests { get; } = [];

    public List<StepPlan> Plans { get; } = [];

    public bool KeepPlans { get; set; }

    public SchedulerRequest Submit(int[] prompt, int maxTokens = 8, int n = 1, int priority = 0, string? id = null,
        Action<SamplingParams>? configure = null)
    {
        var sampling = new SamplingParams { MaxTokens = maxTokens };
        configure?.Invoke(sampling);
        var message = new ScheduleRequest
        {
            Context = new RequestContext { RequestId = id ?? $"req-{_requestCounter++}" },
            Sampling = sampling,
            N = n,
            Priority = priority,
        };
        message.PromptTokenIds.Add(prompt);
        SchedulerRequest request = Planner.Add(message);
        Collect();
        return request;
    }

    /// <summary>Steps sent and not yet answered.</summary>
    public int StepsInFlight => _results.Count;

    /// <summary>
    /// Sends steps while the planner may plan (one, or two when planning ahead), then applies the oldest result;
    /// false when there was nothing to do.
    /// </summary>
    public bool Step()
    {
        Send();
        if (_results.Count == 0)
        {
            return false;
        }
        Planner.ApplyResult(_results.Dequeue());
        Collect();
        return true;
    }

    /// <summary>Preemptions made while planning a step with another in flight (there must be none).</summary>
    public long PreemptionsPlannedAhead { get; private set; }

    /// <summary>Plans and sends steps while the planner may; the worker executes each at once.</summary>
    public void Send()
    {
        while (Planner.CanPlan)
        {
            long preemptions = Planner.PreemptionsTotal;
            bool ahead = Planner.StepInFlight;
            StepPlan? plan = Planner.PlanStep();
            if (ahead)
            {
                PreemptionsPlannedAhead += Planner.PreemptionsTotal - preemptions;
            }
            if (plan is null)
            {
                break;
            }
            if (KeepPlans)
            {
                Plans.Add(plan.Clone());
            }
            _results.Enqueue(Worker.Execute(plan));
        }
    }

    public int RunToCompletion(int maxSteps = 100_000)
    {
        int steps = 0;
        while (Step())
        {
            if (++steps > maxSteps)
            {
                throw new InvalidOperationException("The planner did not finish.");
            }
        }
        return steps;
    }

    public void Collect()
    {
        foreach (SequenceOutput output in Planner.Outputs.Items)
        {
            var key = (output.Sequence.Request.RequestId, output.Sequence.ChoiceIndex);
            if (!Outputs.TryGetValue(key, out List<int>? tokens))
            {
                Outputs[key] = tokens = [];
            }
            if (output.HasToken)
            {
                tokens.Add(output.TokenId);
            }
            if (output.FinishReason != FinishReason.None)
            {
                Finishes[key] = output.FinishReason;
                StopTokens[key] = output.StopTokenId;
            }
        }
        foreach (SchedulerRequest request in Planner.Outputs.FinishedRequests)
        {
            CompletedRequests.Add(request.RequestId);
        }
        Planner.Outputs.Clear();
    }

    /// <summary>Every block free and unreferenced.</summary>
    public void AssertNoLeaks()
    {
        Assert.Equal(Cache.NumBlocks, Cache.FreeBlocks);
        for (int i = 0; i < Cache.NumBlocks; i++)
        {
            Assert.Equal(0, Cache.Pool.RefCount(i));
        }
    }

    public static int[] Prompt(int length, int seed)
    {
        var random = new Random(seed);
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++)
        {
            tokens[i] = random.Next(1, 1000);
        }
        return tokens;
    }
}
