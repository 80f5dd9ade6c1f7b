using System.Runtime.InteropServices;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Inference.Backends;
using LlmServe.Inference.Models;
using LlmServe.Inference.Sampling;
using ContractLogprob = LlmServe.Contracts.TokenLogprob;
using SampledToken = LlmServe.Contracts.SampledToken;

namespace LlmServe.Worker;

/// <summary>
/// Executes step plans on one pipeline stage, with no knowledge of the bus: keeps each sequence's block
/// table and sampler, builds the engine's step batch from the plan's deltas, runs the stage's layers and
/// returns sampled tokens (last stage) or the activations for the next stage.
/// </summary>
internal sealed class StageRuntime : IDisposable
{
    private readonly LlamaModel _model;
    private readonly BackendKvCache _cache;
    private readonly Dictionary<ulong, SequenceState> _sequences = [];
    private readonly StepBatchBuilder _builder;
    private readonly int _stageIndex;
    private float[] _logits = [];
    private int[] _tokenScratch = new int[256];
    private float[] _hidden = [];
    private float[] _residual = [];
    private readonly List<ulong> _sampledSequences = [];
    private readonly BatchSampler _batchSampler = new();
    private SequenceState[] _rowStates = [];
    private SequenceSampler[] _rowSamplers = [];
    private Inference.Sampling.SampledToken[] _rowTokens = [];
    private int[] _greedyTokens = [];
    private float[] _greedyLogprobs = [];
    private Inference.Sampling.DeviceDrawParams[] _rowDraws = [];

    public StageRuntime(LlamaModel model, int kvBlocks, int blockSize, int stageIndex)
    {
        _model = model;
        _stageIndex = stageIndex;
        KvBlocks = kvBlocks;
        BlockSize = blockSize;
        _cache = model.AllocateKvCache(kvBlocks, blockSize);
        int maxBlocksPerSeq = (model.MaxModelLength + blockSize - 1) / blockSize;
        _builder = new StepBatchBuilder(model.MaxBatchTokens, model.MaxSeqs, maxBlocksPerSeq, blockSize);
    }

    public LlamaModel Model => _model;

    public int KvBlocks { get; }

    public int BlockSize { get; }

    public int LiveSequences => _sequences.Count;

    /// <summary>Runs one step. <paramref name="stageInput"/> carries the previous stage's activations (not on stage 0).</summary>
    public StageStepResult Execute(StepPlan plan, HiddenStates? stageInput)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.DescribeDecodeMismatch() is { } mismatch)
        {
            throw new InvalidStepBatchException($"step {plan.StepId}: {mismatch}");
        }
        foreach (ulong released in plan.ReleasedSequenceIds)
        {
            _sequences.Remove(released);
        }

        _builder.Clear();
        _sampledSequences.Clear();
        AddDecodeRows(plan);
        foreach (var scheduled in plan.Sequences)
        {
            var state = Admit(scheduled);
            foreach (int block in scheduled.NewBlockIds)
            {
                AppendBlock(scheduled.SequenceId, state, block);
            }
            bool wantLogits = scheduled.Sample && _model.IsLastStage;
            int count = scheduled.TokenIds.Count;
            if (_tokenScratch.Length < count)
            {
                _tokenScratch = new int[Math.Max(count, _tokenScratch.Length * 2)];
            }
            scheduled.TokenIds.CopyTo(_tokenScratch, 0);
            _builder.AddSequence(_tokenScratch.AsSpan(0, count), scheduled.StartPosition,
                CollectionsMarshal.AsSpan(state.BlockTable), wantLogits);
            if (wantLogits)
            {
                _sampledSequences.Add(scheduled.SequenceId);
            }
        }

        if (plan.RowCount == 0)
        {
            return new StageStepResult(null, null);
        }

        var batch = _builder.Build();
        if (!_model.IsFirstStage)
        {
            if (stageInput is null)
            {
                throw new InvalidOperationException($"stage {_stageIndex} got step {plan.StepId} without the previous stage's activations");
            }
            var hidden = MemoryMarshal.Cast<byte, float>(stageInput.Hidden.Span);
            var residual = MemoryMarshal.Cast<byte, float>(stageInput.Residual.Span);
            _model.SetStageInput(hidden, residual, stageInput.Rows);
        }

        _model.Forward(batch, _cache);
        return _model.IsLastStage ? new StageStepResult(Sample(plan.StepId), null) : new StageStepResult(null, ReadActivations(plan.StepId, batch.NumTokens));
    }

    // Packed decode rows (the plan's fast path) go first, in row order, as the scheduler expects.
    private void AddDecodeRows(StepPlan plan)
    {
        var ids = plan.DecodeSequenceIds;
        var blockRows = plan.DecodeNewBlockRows;
        int blockCursor = 0;
        bool wantLogits = _model.IsLastStage;
        for (int row = 0; row < ids.Count; row++) // index loops: the fields' enumerators are heap objects
        {
            ulong id = ids[row];
            if (!_sequences.TryGetValue(id, out var state))
            {
                throw new InvalidStepBatchException($"sequence {id} is not known to stage {_stageIndex} (missing is_new step)");
            }
            for (; blockCursor < blockRows.Count && blockRows[blockCursor] == row; blockCursor++)
            {
                AppendBlock(id, state, plan.DecodeNewBlockIds[blockCursor]);
            }
            _tokenScratch[0] = DecodeInput(id, state, plan.DecodeTokenIds[row]);
            _builder.AddSequence(_tokenScratch.AsSpan(0, 1), plan.DecodePositions[row], CollectionsMarshal.AsSpan(state.BlockTable), wantLogits);
            if (wantLogits)
            {
                _sampledSequences.Add(id);
            }
        }
    }

    // A deferred token is this stage's own previous sample for the sequence (async scheduling): only a stage that
    // both embeds and samples has it. A token given outright must be the last stage's own sample: anything else means
    // the scheduler's copy of the sequence went astray, and the step fails instead of computing from a wrong context.
    private int DecodeInput(ulong sequenceId, SequenceState state, int token)
    {
        if (token != StepPlan.DeferredToken)
        {
            if (_model.IsLastStage && state.LastSampledToken >= 0 && token != state.LastSampledToken)
            {
                throw new InvalidStepBatchException(
                    $"sequence {sequenceId}: decode input {token} is not the token this worker sampled for it ({state.LastSampledToken})");
            }
            return token;
        }
        if (!_model.IsFirstStage || !_model.IsLastStage)
        {
            throw new InvalidStepBatchException($"sequence {sequenceId}: a deferred decode token needs a worker that is both the first and the last stage");
        }
        if (state.LastSampledToken < 0)
        {
            throw new InvalidStepBatchException($"sequence {sequenceId}: a deferred decode token, but this worker has sampled nothing for it yet");
        }
        return state.LastSampledToken;
    }

    private void AppendBlock(ulong sequenceId, SequenceState state, int block)
    {
        if ((uint)block >= (uint)KvBlocks)
        {
            throw new InvalidStepBatchException($"sequence {sequenceId}: block {block} outside the cache of {KvBlocks} blocks");
        }
        state.BlockTable.Add(block);
    }

    private SequenceState Admit(ScheduledSequence scheduled)
    {
        if (scheduled.IsNew)
        {
            SequenceSampler? sampler = null;
            if (_model.IsLastStage)
            {
                var options = SamplingMapper.ToOptions(scheduled.Sampling);
                sampler = new SequenceSampler(options, _model.EosTokenIds,
                    scheduled.PromptTokenIds.ToArray(), scheduled.ResumedOutputTokenIds.ToArray());
            }
            var fresh = new SequenceState(sampler);
            _sequences[scheduled.SequenceId] = fresh;
            return fresh;
        }
        if (!_sequences.TryGetValue(scheduled.SequenceId, out var state))
        {
            throw new InvalidStepBatchException($"sequence {scheduled.SequenceId} is not known to stage {_stageIndex} (missing is_new step)");
        }
        return state;
    }

    // Tokens without logprobs go in the result's packed arrays; only logprob requests need a message each.
    private StepResult Sample(ulong stepId)
    {
        int vocab = _model.VocabSize;
        int rows = _sampledSequences.Count;
        var result = new StepResult { StepId = stepId };
        if (rows == 0)
        {
            return result;
        }
        if (_rowSamplers.Length < rows)
        {
            int size = Math.Max(rows, _rowSamplers.Length * 2);
            _rowStates = new SequenceState[size];
            _rowSamplers = new SequenceSampler[size];
            _rowTokens = new Inference.Sampling.SampledToken[size];
            _greedyTokens = new int[size];
            _greedyLogprobs = new float[size];
            _rowDraws = new Inference.Sampling.DeviceDrawParams[size];
        }
        bool allPlainArgmax = _model.PicksGreedyOnDevice;
        bool allDeviceDraws = _model.SamplesOnDevice;
        for (int i = 0; i < rows; i++)
        {
            var state = _sequences[_sampledSequences[i]];
            _rowStates[i] = state;
            _rowSamplers[i] = state.Sampler!;
            allPlainArgmax &= state.Sampler!.IsPlainArgmax;
            allDeviceDraws = allDeviceDraws && state.Sampler!.TryGetDeviceDraw(out _rowDraws[i]);
        }
        if (allPlainArgmax)
        {
            // Only ids and logprobs cross to the host: a 256-row step of a 128k vocabulary would otherwise copy 131 MB.
            _model.ArgmaxLogits(_greedyTokens.AsSpan(0, rows), _greedyLogprobs.AsSpan(0, rows));
            for (int i = 0; i < rows; i++)
            {
                float logprob = _rowSamplers[i].Options.Logprobs ? _greedyLogprobs[i] : float.NaN;
                _rowTokens[i] = new Inference.Sampling.SampledToken(_greedyTokens[i], logprob);
            }
        }
        else if (allDeviceDraws)
        {
            // Temperature, top-k, top-p and min-p drawn where the logits are (DeviceDraw): only the ids cross.
            _model.SampleOnDevice(_rowDraws.AsSpan(0, rows), _greedyTokens.AsSpan(0, rows));
            for (int i = 0; i < rows; i++)
            {
                if (_greedyTokens[i] < 0)
                {
                    throw new InvalidOperationException($"row {i} of step {stepId} has no token to draw: every logit is -inf or one is NaN");
                }

                _rowTokens[i] = new Inference.Sampling.SampledToken(_greedyTokens[i], float.NaN);
            }
        }
        else
        {
            if (_logits.Length < rows * vocab)
            {
                _logits = new float[rows * vocab];
            }
            _model.ReadLogits(_logits.AsSpan(0, rows * vocab));
            // Rows are sampled in parallel when the step is large (a 256-row decode of a 128k vocabulary is 131 MB of logits).
            _batchSampler.Sample(_rowSamplers, rows, _logits, vocab, _rowTokens);
        }
        for (int i = 0; i < rows; i++)
        {
            ulong id = _sampledSequences[i];
            var state = _rowStates[i];
            var sampler = _rowSamplers[i];
            var sampled = _rowTokens[i];
            sampler.Accept(sampled.TokenId);
            state.LastSampledToken = sampled.TokenId;
            if (!sampler.Options.Logprobs)
            {
                result.SampledSequenceIds.Add(id);
                result.SampledTokenIds.Add(sampled.TokenId);
                continue;
            }
            var logprob = new ContractLogprob { TokenId = sampled.TokenId, Logprob = sampled.Logprob };
            foreach (var alt in sampled.TopLogprobs)
            {
                logprob.Top.Add(new TopLogprob { TokenId = alt.TokenId, Logprob = alt.Logprob });
            }
            result.Tokens.Add(new SampledToken { SequenceId = id, TokenId = sampled.TokenId, Logprob = logprob });
        }
        // Finished sequences' samplers must not live on in the row buffers.
        Array.Clear(_rowStates, 0, rows);
        Array.Clear(_rowSamplers, 0, rows);
        Array.Clear(_rowTokens, 0, rows);
        return result;
    }

    private HiddenStates ReadActivations(ulong stepId, int rows)
    {
        int width = _model.HiddenSize;
        int count = rows * width;
        if (_hidden.Length < count)
        {
            _hidden = new float[count];
            _residual = new float[count];
        }
        _model.ReadStageOutput(_hidden.AsSpan(0, count), _residual.AsSpan(0, count));
        return new HiddenStates
        {
            StepId = stepId,
            Rows = rows,
            HiddenSize = width,
            Hidden = ByteString.CopyFrom(MemoryMarshal.AsBytes(_hidden.AsSpan(0, count))),
            Residual = ByteString.CopyFrom(MemoryMarshal.AsBytes(_residual.AsSpan(0, count))),
        };
    }

    /// <summary>Forgets every sequence (after a scheduler restart or a failed step).</summary>
    public void Reset() => _sequences.Clear();

    public void Dispose()
    {
        _cache.Dispose();
        _model.Dispose();
    }
}
