using System.Buffers;
using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace LlmServe.Inference.Sampling;

/// <summary>
/// Samples the next token of one sequence from its logits row, holding that sequence's sampling state:
/// options, generated-token counts for penalties, and its own counter-based random stream.
/// </summary>
/// <remarks>
/// Order of operations follows vLLM: logprobs are taken from the raw logits (log-softmax before any
/// processing), then logit bias, min-tokens masking of EOS/stop ids, repetition penalty (prompt + output),
/// frequency and presence penalties (output), then greedy argmax (ties → lowest id) or temperature, top-k,
/// top-p, min-p and a draw. The draw for step s uses a random number that depends only on (seed, s), where
/// s is <see cref="GeneratedCount"/>: the same seed gives the same tokens regardless of batching, and a
/// sampler rebuilt with <c>alreadyGenerated</c> after preemption continues the identical stream.
/// Not thread-safe: one sampler per sequence, used by one thread at a time.
/// </remarks>
public sealed class SequenceSampler
{
    // Weight cut-offs tried when shrinking the candidate set, most selective first; 0 keeps every token.
    private static readonly float[] CandidateThresholds = [1e-2f, 1e-4f, 1e-6f, 1e-9f, 0f];

    private readonly SamplingOptions _options;
    private readonly int[] _eosTokenIds;
    private readonly int[] _stopTokenIds;
    private readonly int[] _biasTokenIds;
    private readonly float[] _biasValues;
    private readonly TokenHistory? _history;
    private readonly ulong _seed;

    /// <param name="options">Validated here; an out-of-range field throws <see cref="ArgumentException"/>.</param>
    /// <param name="eosTokenIds">The model's end-of-sequence ids (generation_config may list several).</param>
    /// <param name="promptTokenIds">Prompt tokens, seen by the repetition penalty.</param>
    /// <param name="alreadyGenerated">Tokens generated before a preemption; sampling resumes after them.</param>
    public SequenceSampler(SamplingOptions options, IReadOnlyList<int> eosTokenIds, ReadOnlySpan<int> promptTokenIds, ReadOnlySpan<int> alreadyGenerated)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(eosTokenIds);
        options.Validate();
        _options = options;
        _eosTokenIds = [.. eosTokenIds];
        _stopTokenIds = [.. options.StopTokenIds];
        // Arrays, not the dictionary: enumerating an IReadOnlyDictionary boxes its enumerator every step.
        KeyValuePair<int, float>[] bias = options.LogitBias is null ? [] : [.. options.LogitBias];
        _biasTokenIds = Array.ConvertAll(bias, pair => pair.Key);
        _biasValues = Array.ConvertAll(bias, pair => pair.Value);
        _seed = options.Seed ?? RandomSeed();
        if (options.RepetitionPenalty != 1f || options.FrequencyPenalty != 0f || options.PresencePenalty != 0f)
        {
            _history = new TokenHistory(options.RepetitionPenalty != 1f ? promptTokenIds : []);
        }

        foreach (int id in alreadyGenerated)
        {
            Accept(id);
        }
    }

    /// <summary>The options this sampler was built with.</summary>
    public SamplingOptions Options => _options;

    /// <summary>
    /// True when this step's token is the plain arg-max of the raw logits: greedy, no logit bias, no penalties, no
    /// min-tokens mask in force and no top logprobs. Such a row can be picked where the logits live.
    /// </summary>
    public bool IsPlainArgmax =>
        _options.IsGreedy && _biasTokenIds.Length == 0 && _history is null && _options.TopLogprobs == 0
        && (GeneratedCount >= _options.MinTokens || (_stopTokenIds.Length == 0 && (_options.IgnoreEos || _eosTokenIds.Length == 0)));

    /// <summary>
    /// This step's draw for a device sampler (<see cref="DeviceDraw"/>), when the token depends on the raw logits and
    /// the options alone: no logit bias, no penalties, no min-tokens mask in force and no logprobs. Greedy rows get
    /// <see cref="DeviceDrawParams.InverseTemperature"/> 0 (the arg-max, as <see cref="Sample"/> picks it).
    /// </summary>
    public bool TryGetDeviceDraw(out DeviceDrawParams draw)
    {
        bool minTokensFree = GeneratedCount >= _options.MinTokens || (_stopTokenIds.Length == 0 && (_options.IgnoreEos || _eosTokenIds.Length == 0));
        if (_biasTokenIds.Length != 0 || _history is not null || _options.Logprobs || !minTokensFree)
        {
            draw = default;
            return false;
        }

        draw = _options.IsGreedy
            ? DeviceDrawParams.Greedy
            : new DeviceDrawParams
            {
                Seed = _seed,
                Step = GeneratedCount,
                InverseTemperature = 1f / _options.Temperature,
                TopK = Math.Max(0, _options.TopK),
                TopP = _options.TopP,
                MinP = _options.MinP,
            };
        return true;
    }

    /// <summary>Tokens accepted so far (including <c>alreadyGenerated</c>); the index of the next step.</summary>
    public int GeneratedCount { get; private set; }

    /// <summary>
    /// Picks the next token from <paramref name="logits"/> (one row, vocabulary-sized), which is used as
    /// scratch and left modified. Does not advance the sequence: call <see cref="Accept"/> with the token
    /// that is kept.
    /// </summary>
    public SampledToken Sample(Span<float> logits)
    {
        int vocab = logits.Length;
        if (vocab == 0)
        {
            throw new ArgumentException("The logits row is empty.", nameof(logits));
        }

        float[]? raw = null;
        try
        {
            if (_options.Logprobs)
            {
                raw = ArrayPool<float>.Shared.Rent(vocab);
                logits.CopyTo(raw);
            }

            ProcessLogits(logits);
            int token = _options.IsGreedy ? ArgMax(logits) : Draw(logits, StepRandom.Uniform(_seed, GeneratedCount));
            return raw is null ? new SampledToken(token, float.NaN) : LogprobCalculator.Compute(raw.AsSpan(0, vocab), token, _options.TopLogprobs);
        }
        finally
        {
            if (raw is not null)
            {
                ArrayPool<float>.Shared.Return(raw);
            }
        }
    }

    /// <summary>
    /// The steps before temperature and truncation, in vLLM's order: logit bias, min-tokens masking,
    /// repetition penalty, frequency and presence penalties.
    /// </summary>
    internal void ProcessLogits(Span<float> logits)
    {
        ApplyLogitBias(logits);
        if (GeneratedCount < _options.MinTokens)
        {
            MaskStopTokens(logits);
        }

        _history?.Apply(logits, _options.RepetitionPenalty, _options.FrequencyPenalty, _options.PresencePenalty);
    }

    /// <summary>Records that <paramref name="tokenId"/> was appended to the sequence.</summary>
    public void Accept(int tokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        _history?.AddOutput(tokenId);
        GeneratedCount++;
    }

    /// <summary>True when <paramref name="tokenId"/> ends the sequence: a stop token id, or EOS unless ignore_eos.</summary>
    public bool IsStopToken(int tokenId) =>
        Array.IndexOf(_stopTokenIds, tokenId) >= 0 || (!_options.IgnoreEos && Array.IndexOf(_eosTokenIds, tokenId) >= 0);

    private void ApplyLogitBias(Span<float> logits)
    {
        for (int i = 0; i < _biasTokenIds.Length; i++)
        {
            int id = _biasTokenIds[i];
            if ((uint)id >= (uint)logits.Length)
            {
                throw new ArgumentException($"logit_bias names token {id}, outside the vocabulary of {logits.Length}.", nameof(SamplingOptions.LogitBias));
            }

            logits[id] += _biasValues[i];
        }
    }

    private void MaskStopTokens(Span<float> logits)
    {
        foreach (int id in _stopTokenIds)
        {
            if ((uint)id < (uint)logits.Length)
            {
                logits[id] = float.NegativeInfinity;
            }
        }

        if (!_options.IgnoreEos)
        {
            foreach (int id in _eosTokenIds)
            {
                if ((uint)id < (uint)logits.Length)
                {
                    logits[id] = float.NegativeInfinity;
                }
            }
        }
    }

    // Vectorized, first index of the maximum (as a scalar scan with '>' finds): a 128k row is ~10x faster than a
    // scalar loop, and greedy decoding scans one row per sequence per step.
    private static int ArgMax(ReadOnlySpan<float> logits) => TensorPrimitives.IndexOfMax(logits);

    private int Draw(ReadOnlySpan<float> logits, double uniform)
    {
        int vocab = logits.Length;
        float[] weightArray = ArrayPool<float>.Shared.Rent(vocab);
        float[] values = ArrayPool<float>.Shared.Rent(vocab);
        int[] ids = ArrayPool<int>.Shared.Rent(vocab);
        try
        {
            // Unnormalized probabilities exp((x - max)/T): the most likely token weighs exactly 1 and
            // masked (-inf) tokens weigh 0.
            var weights = weightArray.AsSpan(0, vocab);
            float max = TensorPrimitives.Max(logits);
            if (float.IsNegativeInfinity(max) || float.IsNaN(max))
            {
                throw new InvalidOperationException("Every token is masked (logit -inf) or the logits are NaN; nothing can be sampled.");
            }

            double total = WeightScan.ComputeWeights(logits, max, 1f / _options.Temperature, weights);

            int topK = _options.TopK > 0 && _options.TopK < vocab ? _options.TopK : 0;
            bool topP = _options.TopP < 1f;
            if (topK == 0 && !topP && _options.MinP <= 0f)
            {
                return WeightScan.FindCumulative(weights, uniform * total);
            }

            double nucleusMass = topP ? _options.TopP * total : 0;
            int count = CollectCandidates(weights, values, ids, topK, nucleusMass);
            if (topK > 0)
            {
                count = CandidateSelector.SelectTopCount(values, ids, count, topK);

                // After top-k the nucleus is taken over the renormalized top-k set.
                nucleusMass = _options.TopP * Sum(values.AsSpan(0, count));
            }

            if (topP)
            {
                count = CandidateSelector.SelectTopMass(values, ids, count, nucleusMass);
            }

            if (_options.MinP > 0f)
            {
                count = KeepAtLeast(values, ids, count, _options.MinP);
            }

            return ids[WeightScan.FindCumulative(values.AsSpan(0, count), uniform * Sum(values.AsSpan(0, count)))];
        }
        finally
        {
            ArrayPool<float>.Shared.Return(weightArray);
            ArrayPool<float>.Shared.Return(values);
            ArrayPool<int>.Shared.Return(ids);
        }
    }

    // The smallest "weight ≥ t" set (t from a coarse ladder) that surely holds the top-k tokens and the
    // top-p nucleus, so selection works on hundreds of candidates instead of the whole vocabulary. Min-p
    // alone needs exactly the tokens with weight ≥ min_p.
    private int CollectCandidates(ReadOnlySpan<float> weights, Span<float> values, Span<int> ids, int topK, double nucleusMass)
    {
        float threshold = 0f;
        if (topK > 0 || nucleusMass > 0)
        {
            foreach (float t in CandidateThresholds)
            {
                var (count, mass) = WeightScan.AtLeast(weights, t);
                if ((topK > 0 ? count >= topK : mass >= nucleusMass) && count > 0)
                {
                    threshold = t;
                    break;
                }
            }
        }
        else
        {
            threshold = _options.MinP;
        }

        return WeightScan.Collect(weights, threshold, values, ids);
    }

    // Min-p: the weights are relative to the most likely token (weight 1), so the threshold is min_p itself.
    private static int KeepAtLeast(float[] values, int[] ids, int count, float threshold)
    {
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (values[i] >= threshold)
            {
                values[kept] = values[i];
                ids[kept] = ids[i];
                kept++;
            }
        }

        return kept;
    }

    private static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return sum;
    }

    private static ulong RandomSeed()
    {
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }
}
