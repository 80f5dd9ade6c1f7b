namespace LlmServe.LoadGen.Floor;

/// <summary>
/// The fastest any server could run a workload on given hardware, from the workload itself.
/// Prefill is compute: 2 × params × prompt tokens + causal attention (QKᵀ and PV: 2 × 2 × heads × head_dim per
/// query-key pair, I(I+1)/2 pairs) + one LM-head row, at the GEMM rate. Decode is memory: every step reads the
/// weights once, and every generated token reads the KV of its context; a perfect batcher with at most C running
/// requests needs max(longest decode, ⌈Σ decode tokens / C⌉) steps. Phases may overlap, so the strict floor of the
/// run is max(prefill, decode, last arrival); their sum is also given (the floor if they cannot overlap).
/// </summary>
public sealed record WorkloadFloor
{
    public required double PrefillFlops { get; init; }

    public required double PrefillSeconds { get; init; }

    public required long DecodeSteps { get; init; }

    public required double DecodeBytes { get; init; }

    public required double DecodeSeconds { get; init; }

    /// <summary>max(prefill, decode, last arrival time).</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>prefill + decode (no overlap), at least the last arrival time.</summary>
    public required double SerialDurationSeconds { get; init; }

    /// <summary>Output tokens divided by the strict floor duration: no server can beat this throughput.</summary>
    public required double OutputThroughput { get; init; }

    /// <summary>Mean over requests of the request's prefill alone on the card (its TTFT with nothing else running).</summary>
    public required double MeanTtftMs { get; init; }

    /// <summary>Mean over requests of one decode step with the request alone (weights + its own KV at mid-generation).</summary>
    public required double MeanTpotMs { get; init; }

    public required long ParametersPerToken { get; init; }

    public required double WeightBytesPerStep { get; init; }

    /// <param name="requests">(prompt tokens, output tokens) of each request.</param>
    /// <param name="maxConcurrency">Most requests running together (the run's --max-concurrency, or the request count).</param>
    /// <param name="parametersOverride">Replaces the per-token matmul parameter count from the shape (--floor-params).</param>
    /// <param name="lastArrivalSeconds">When the last request arrives (0 for rate inf).</param>
    public static WorkloadFloor Compute(IReadOnlyList<(int Input, int Output)> requests, int maxConcurrency, ModelShape shape,
        HardwareCeilings ceilings, long? parametersOverride = null, double lastArrivalSeconds = 0)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(ceilings);
        long parameters = parametersOverride ?? shape.LayerMatmulParameters;
        double flopRate = ceilings.GemmTflops * 1e12;
        double byteRate = ceilings.BandwidthGBs * 1e9;
        double weightBytes = (double)(parameters + shape.LmHeadParameters) * shape.BytesPerParameter;
        double attentionPerPair = 4.0 * shape.Layers * shape.Heads * shape.HeadDim;

        double prefillFlops = 0, kvBytes = 0, ttftSum = 0, tpotSum = 0;
        long decodeTokens = 0, longestDecode = 0, outputTokens = 0;
        foreach (var (input, output) in requests)
        {
            double flops = (2.0 * parameters * input) + (attentionPerPair * input * (input + 1.0) / 2) + (2.0 * shape.LmHeadParameters);
            prefillFlops += flops;
            ttftSum += flops / flopRate;
            long decode = Math.Max(0, output - 1);
            decodeTokens += decode;
            longestDecode = Math.Max(longestDecode, decode);
            outputTokens += output;
            // Decode token t (1-based) attends to input + t positions: Σ (input + t) for t = 1..decode.
            kvBytes += ((double)input * decode + (decode * (decode + 1.0) / 2)) * shape.KvBytesPerToken;
            tpotSum += (weightBytes + ((input + (output / 2.0)) * shape.KvBytesPerToken)) / byteRate;
        }
        int c = Math.Max(1, Math.Min(maxConcurrency, Math.Max(1, requests.Count)));
        long steps = Math.Max(longestDecode, (decodeTokens + c - 1) / c);
        double decodeBytes = (steps * weightBytes) + kvBytes;
        double prefillSeconds = prefillFlops / flopRate;
        double decodeSeconds = decodeBytes / byteRate;
        double strict = Math.Max(Math.Max(prefillSeconds, decodeSeconds), lastArrivalSeconds);
        int n = Math.Max(1, requests.Count);
        return new WorkloadFloor
        {
            PrefillFlops = prefillFlops,
            PrefillSeconds = prefillSeconds,
            DecodeSteps = steps,
            DecodeBytes = decodeBytes,
            DecodeSeconds = decodeSeconds,
            DurationSeconds = strict,
            SerialDurationSeconds = Math.Max(prefillSeconds + decodeSeconds, lastArrivalSeconds),
            OutputThroughput = strict > 0 ? outputTokens / strict : 0,
            MeanTtftMs = ttftSum / n * 1000,
            MeanTpotMs = tpotSum / n * 1000,
            ParametersPerToken = parameters,
            WeightBytesPerStep = weightBytes,
        };
    }
}
