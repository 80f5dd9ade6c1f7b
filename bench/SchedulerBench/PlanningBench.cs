using System.Buffers;
using System.Diagnostics;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Scheduler.KvCache;
using LlmServe.Scheduler.Planning;

namespace LlmServe.SchedulerBench;

/// <summary>Steady-state decode: plan, serialize, apply a result, with no bus. Measures time and bytes allocated per step.</summary>
internal static class PlanningBench
{
    public sealed record Result(int Sequences, int Steps, double PlanMicros, double SerializeMicros, double ApplyMicros, double AllocatedBytesPerStep, int PlanBytes);

    public static Result Run(int sequences, int steps, int promptLength = 128)
    {
        int maxLen = promptLength + steps + 2048;
        int blocks = sequences * ((maxLen / 16) + 2);
        var cache = new KvCacheManager(blocks, 16, enablePrefixCaching: true, watermarkBlocks: blocks / 100);
        var planner = new StepPlanner(cache, new PlannerLimits { MaxNumSeqs = sequences, MaxNumBatchedTokens = 2048, MaxModelLen = maxLen, MaxWaiting = sequences });
        var random = new Random(7);
        for (int i = 0; i < sequences; i++)
        {
            var message = new ScheduleRequest
            {
                Context = new RequestContext { RequestId = $"bench-{i}" },
                Sampling = new SamplingParams { IgnoreEos = true, MaxTokens = maxLen - promptLength },
            };
            for (int t = 0; t < promptLength; t++)
            {
                message.PromptTokenIds.Add(random.Next(1, 32000));
            }
            planner.Add(message);
        }

        var result = new StepResult();
        var tokens = new SampledToken[sequences];
        for (int i = 0; i < sequences; i++)
        {
            tokens[i] = new SampledToken();
        }
        var buffer = new ArrayBufferWriter<byte>(1 << 20);

        // Prefill and warm-up: until every sequence decodes, then some more for the JIT.
        for (int warm = 0; warm < 200 || planner.WaitingCount > 0; warm++)
        {
            Step(planner, result, tokens, buffer, random, out _, out _, out _);
        }

        long plan = 0, serialize = 0, apply = 0;
        int planBytes = 0;
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < steps; s++)
        {
            Step(planner, result, tokens, buffer, random, out long p, out long w, out long a);
            plan += p;
            serialize += w;
            apply += a;
            planBytes = buffer.WrittenCount;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        if (planner.RunningCount != sequences)
        {
            throw new InvalidOperationException($"Expected {sequences} running sequences, found {planner.RunningCount}.");
        }
        double toMicros = 1e6 / Stopwatch.Frequency / steps;
        return new Result(sequences, steps, plan * toMicros, serialize * toMicros, apply * toMicros, (double)allocated / steps, planBytes);
    }

    private static void Step(StepPlanner planner, StepResult result, SampledToken[] tokens, ArrayBufferWriter<byte> buffer, Random random,
        out long planTicks, out long serializeTicks, out long applyTicks)
    {
        long t0 = Stopwatch.GetTimestamp();
        StepPlan plan = planner.PlanStep() ?? throw new InvalidOperationException("Nothing to plan.");
        long t1 = Stopwatch.GetTimestamp();
        buffer.ResetWrittenCount();
        plan.WriteTo(buffer);
        long t2 = Stopwatch.GetTimestamp();

        // The worker's answer, built outside the timed region from reused objects.
        result.StepId = plan.StepId;
        result.Tokens.Clear();
        result.SampledSequenceIds.Clear();
        result.SampledTokenIds.Clear();
        for (int i = 0; i < plan.DecodeSequenceIds.Count; i++)
        {
            result.SampledSequenceIds.Add(plan.DecodeSequenceIds[i]);
            result.SampledTokenIds.Add(random.Next(1, 32000));
        }
        int n = 0;
        foreach (ScheduledSequence s in plan.Sequences)
        {
            if (s.Sample)
            {
                SampledToken token = tokens[n++];
                token.SequenceId = s.SequenceId;
                token.TokenId = random.Next(1, 32000);
                result.Tokens.Add(token);
            }
        }

        long t3 = Stopwatch.GetTimestamp();
        planner.ApplyResult(result);
        planner.Outputs.Clear();
        long t4 = Stopwatch.GetTimestamp();
        planTicks = t1 - t0;
        serializeTicks = t2 - t1;
        applyTicks = t4 - t3;
    }
}
