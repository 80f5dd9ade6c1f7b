using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Timing;

/// <summary>
/// One request's per-hop times, computed from the stamps the hops left: the first token's whole way (request arrival →
/// first text written) and every steady token's way (the request's previous result back at the scheduler → written).
/// </summary>
/// <remarks>
/// A hop whose start or end stamp is missing has no value and is left out of sums and means. A negative difference (clocks
/// of different machines disagree) is clamped to 0 and counted in <see cref="Clamped"/>, so a breakdown with clamps is
/// known to be off by the skew. A steady token whose plan went out before the previous result came back (a scheduler
/// that plans ahead) has scheduler_queue 0 and is counted in <see cref="PlannedAhead"/>, not as a clamp; its worker_bus then
/// runs from that previous result (the cycle the overlap did not hide, signed: see <c>StepHops</c>), so a steady token's
/// queue + execute + bus is always the time between the request's consecutive results.
/// </remarks>
internal sealed class HopBreakdown
{
    private HopBreakdown(long arrivedUs, long firstTokenWrittenUs, HopValues? firstToken, IReadOnlyList<HopValues> steadyTokens, int tokens,
        int clamped, int plannedAhead)
    {
        ArrivedUs = arrivedUs;
        FirstTokenWrittenUs = firstTokenWrittenUs;
        FirstToken = firstToken;
        SteadyTokens = steadyTokens;
        Tokens = tokens;
        Clamped = clamped;
        PlannedAhead = plannedAhead;
    }

    /// <summary>When the request reached the gateway (Unix µs): with <see cref="FirstTokenWrittenUs"/>, a client on the same clock can place the breakdown inside its own TTFT.</summary>
    public long ArrivedUs { get; }

    /// <summary>When the first token's bytes were handed to the client's connection (Unix µs); 0 when unknown.</summary>
    public long FirstTokenWrittenUs { get; }

    /// <summary>The first chunk that carried text (else the first chunk), from the gateway's arrival stamp; null with no timed chunk.</summary>
    public HopValues? FirstToken { get; }

    /// <summary>Every later chunk of each prompt, from the step hops on (<see cref="HopNames.FirstSteadyHop"/>).</summary>
    public IReadOnlyList<HopValues> SteadyTokens { get; }

    /// <summary>Timed chunks (one per step that gave the request tokens).</summary>
    public int Tokens { get; }

    public int Clamped { get; }

    public int PlannedAhead { get; }

    /// <summary>Mean of <paramref name="hop"/> over the steady tokens that have it; null when none does.</summary>
    public double? SteadyMean(Hop hop)
    {
        long sum = 0;
        int count = 0;
        foreach (HopValues token in SteadyTokens)
        {
            if (token[hop] is long value)
            {
                sum += value;
                count++;
            }
        }
        return count == 0 ? null : (double)sum / count;
    }

    /// <param name="arrivedUs">When the request reached the gateway.</param>
    /// <param name="tokenizePublishedUs">Per prompt: when its TokenizeRequest was first published (0 = unknown).</param>
    /// <param name="requests">Per prompt: the tokenizer's and scheduler's stamps, as the first chunk carrying them brought them.</param>
    /// <param name="chunks">Timed chunks in the order the gateway received them.</param>
    public static HopBreakdown Compute(long arrivedUs, IReadOnlyList<long> tokenizePublishedUs, IReadOnlyList<RequestTiming?> requests,
        IReadOnlyList<TimedChunk> chunks)
    {
        ArgumentNullException.ThrowIfNull(tokenizePublishedUs);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(chunks);
        int clamped = 0;
        int plannedAhead = 0;
        int first = -1;
        for (int i = 0; i < chunks.Count && first < 0; i++)
        {
            if (chunks[i].HasText)
            {
                first = i;
            }
        }
        if (first < 0 && chunks.Count > 0)
        {
            first = 0;
        }

        HopValues? firstToken = null;
        if (first >= 0)
        {
            TimedChunk chunk = chunks[first];
            int p = chunk.PromptIndex;
            long tokenizePublished = p < tokenizePublishedUs.Count ? tokenizePublishedUs[p] : 0;
            RequestTiming request = (p < requests.Count ? requests[p] : null) ?? new RequestTiming();
            firstToken = new HopValues
            {
                [Hop.Gateway] = Span(arrivedUs, tokenizePublished, ref clamped),
                [Hop.GatewayToTokenizer] = Span(tokenizePublished, request.TokenizerReceivedUs, ref clamped),
                [Hop.Tokenizer] = Span(request.TokenizerReceivedUs, request.TokenizerPublishedUs, ref clamped),
                [Hop.TokenizerToScheduler] = Span(request.TokenizerPublishedUs, request.SchedulerReceivedUs, ref clamped),
                [Hop.SchedulerAdmit] = Span(request.SchedulerReceivedUs, request.SchedulerAdmittedUs, ref clamped),
                [Hop.SchedulerQueue] = Span(request.SchedulerAdmittedUs, chunk.Step.PlanPublishedUs, ref clamped),
            };
            StepHops(firstToken, chunk.Step, chunk.Step.PlanPublishedUs, plannedAhead: false, ref clamped);
        }

        var steady = new List<HopValues>();
        var previous = new Dictionary<int, StepTiming>();
        for (int i = 0; i < chunks.Count; i++)
        {
            TimedChunk chunk = chunks[i];
            bool hasPrevious = previous.TryGetValue(chunk.PromptIndex, out StepTiming? before);
            previous[chunk.PromptIndex] = chunk.Step;
            if (!hasPrevious || i == first)
            {
                continue;
            }
            var token = new HopValues();
            long busFrom = chunk.Step.PlanPublishedUs;
            bool ahead = false;
            if (before!.ResultReceivedUs != 0 && chunk.Step.PlanPublishedUs != 0)
            {
                long queue = chunk.Step.PlanPublishedUs - before.ResultReceivedUs;
                if (queue < 0)
                {
                    // Planned ahead: this step was already at the worker when the previous result came back, so the
                    // token's cycle starts there, and its bus time is what the overlap did not hide.
                    plannedAhead++;
                    ahead = true;
                    busFrom = before.ResultReceivedUs;
                }
                token[Hop.SchedulerQueue] = Math.Max(0, queue);
            }
            StepHops(token, chunk.Step, busFrom, ahead, ref clamped);
            steady.Add(token);
        }
        long firstWritten = first >= 0 ? chunks[first].Step.GatewayWrittenUs : 0;
        return new HopBreakdown(arrivedUs, firstWritten, firstToken, steady, chunks.Count, clamped, plannedAhead);
    }

    /// <param name="busFromUs">Where the step's bus time starts: its plan's publish, or for a step planned ahead of the
    /// request's previous result, that result's arrival.</param>
    /// <param name="plannedAhead">The step was planned ahead: its bus time is the result interval minus execute, negative for a
    /// token whose previous result the scheduler read after the worker had started this step. Kept signed (not skew), so the
    /// mean stays the true cycle overhead and queue + execute + bus is exactly the time between results.</param>
    private static void StepHops(HopValues token, StepTiming step, long busFromUs, bool plannedAhead, ref int clamped)
    {
        if (step.ResultReceivedUs != 0)
        {
            token[Hop.WorkerExecute] = Math.Max(0, step.WorkerExecuteUs);
            if (busFromUs != 0)
            {
                long bus = step.ResultReceivedUs - busFromUs - Math.Max(0, step.WorkerExecuteUs);
                if (bus < 0 && !plannedAhead)
                {
                    clamped++;
                    bus = 0;
                }
                token[Hop.WorkerBus] = bus;
            }
        }
        token[Hop.SchedulerPublish] = Span(step.ResultReceivedUs, step.DeltaPublishedUs, ref clamped);
        token[Hop.SchedulerToDetokenizer] = Span(step.DeltaPublishedUs, step.DetokenizerReceivedUs, ref clamped);
        token[Hop.Detokenizer] = Span(step.DetokenizerReceivedUs, step.DetokenizerPublishedUs, ref clamped);
        token[Hop.DetokenizerToGateway] = Span(step.DetokenizerPublishedUs, step.GatewayReceivedUs, ref clamped);
        token[Hop.GatewayWrite] = Span(step.GatewayReceivedUs, step.GatewayWrittenUs, ref clamped);
    }

    private static long? Span(long startUs, long endUs, ref int clamped)
    {
        if (startUs == 0 || endUs == 0)
        {
            return null;
        }
        long value = endUs - startUs;
        if (value < 0)
        {
            clamped++;
            return 0;
        }
        return value;
    }
}
