using LlmServe.Inference.Backends;
using LlmServe.Inference.Sampling;
using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Models;

/// <summary>
/// The Llama-family decoder (Llama, Qwen2, Qwen3, Mistral) for one pipeline stage: layers
/// [FirstLayer, FirstLayer + LayerCount). The first stage embeds tokens; the last applies the final norm and
/// the lm-head to the step's logit rows; every other stage boundary carries (hidden, residual), the two halves
/// of vLLM's fused residual stream (the true activation is hidden + residual).
/// This class decides the math and the call order; <see cref="IBackend"/> supplies the kernels.
/// All buffers are allocated at load for <see cref="ModelLoadOptions.MaxBatchTokens"/>, so a step allocates nothing.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly IBackend _backend;
    private readonly LayerWeights[] _layers;
    private readonly DecoderLayerStack _stack;
    private readonly BackendTensor? _embedding;
    private readonly BackendTensor? _finalNorm;
    private readonly BackendTensor? _lmHead;
    private readonly bool _lmHeadIsEmbedding;
    private readonly BackendTensor _cosSin;
    private readonly AttentionShape _shape;

    // Step activations, [MaxBatchTokens × width] (logit-side ones [MaxSeqs × width]).
    private readonly BackendTensor _hidden;
    private readonly BackendTensor _residual;
    private readonly BackendTensor _normed;
    private readonly BackendTensor _qkv;
    private readonly BackendTensor _attention;
    private readonly BackendTensor _gateUp;
    private readonly BackendTensor _activated;
    private readonly BackendTensor? _logitHidden;
    private readonly BackendTensor? _logitResidual;
    private readonly BackendTensor? _logitNormed;
    private readonly BackendTensor? _logits;

    private int _lastTokens;
    private int _lastLogitRows;
    private int _stageInputRows = -1;

    private LlamaModel(ModelConfig config, GenerationConfig generation, IBackend backend, ModelLoadOptions options, WeightStore weights)
    {
        Config = config;
        GenerationConfig = generation;
        _backend = backend;
        FirstLayer = options.FirstLayer;
        LayerCount = options.LayerCount ?? (config.NumLayers - options.FirstLayer);
        if (FirstLayer + LayerCount > config.NumLayers || LayerCount < 1)
        {
            throw new ModelLoadException($"layer range [{FirstLayer}, {FirstLayer + LayerCount}) is outside the model's {config.NumLayers} layers");
        }

        MaxBatchTokens = options.MaxBatchTokens;
        MaxSeqs = options.MaxSeqs;
        MaxModelLength = Math.Min(options.MaxModelLength ?? config.MaxContextLength, config.MaxContextLength);
        _shape = new AttentionShape(config.NumHeads, config.NumKvHeads, config.HeadDim);

        int h = config.HiddenSize;
        int v = config.VocabSize;
        var allocated = new List<IDisposable>();
        try
        {
            if (IsFirstStage)
            {
                _embedding = Upload(weights, allocated, "model.embed_tokens.weight", v, h);
            }

            _layers = new LayerWeights[LayerCount];
            for (int i = 0; i < LayerCount; i++)
            {
                _layers[i] = LoadLayer(weights, FirstLayer + i);
                allocated.Add(_layers[i]);
            }

            if (IsLastStage)
            {
                _finalNorm = Upload(weights, allocated, "model.norm.weight", h);
                bool tied = config.TieWordEmbeddings || !weights.Contains("lm_head.weight");
                if (tied && _embedding is not null)
                {
                    _lmHead = _embedding;
                    _lmHeadIsEmbedding = true;
                }
                else
                {
                    _lmHead = Upload(weights, allocated, tied ? "model.embed_tokens.weight" : "lm_head.weight", v, h);
                }
            }

            _cosSin = Track(allocated, backend.UploadFloats(RotaryEmbedding.BuildTable(config, MaxModelLength), MaxModelLength, config.HeadDim));
            int t = MaxBatchTokens;
            _hidden = Track(allocated, backend.Allocate(t, h));
            _residual = Track(allocated, backend.Allocate(t, h));
            _normed = Track(allocated, backend.Allocate(t, h));
            _qkv = Track(allocated, backend.Allocate(t, _shape.QkvWidth));
            _attention = Track(allocated, backend.Allocate(t, _shape.QWidth));
            _gateUp = Track(allocated, backend.Allocate(t, 2 * config.IntermediateSize));
            _activated = Track(allocated, backend.Allocate(t, config.IntermediateSize));
            _stack = new DecoderLayerStack(backend, _layers, new LayerActivations(_hidden, _residual, _normed, _qkv, _attention, _gateUp, _activated),
                _shape, _cosSin, config.IntermediateSize, config.RmsNormEps);
            if (IsLastStage)
            {
                _logitHidden = Track(allocated, backend.Allocate(MaxSeqs, h));
                _logitResidual = Track(allocated, backend.Allocate(MaxSeqs, h));
                _logitNormed = Track(allocated, backend.Allocate(MaxSeqs, h));
                _logits = Track(allocated, backend.Allocate(MaxSeqs, v));
            }
        }
        catch
        {
            foreach (var item in allocated)
            {
                item.Dispose();
            }

            throw;
        }
    }

    public ModelConfig Config { get; }

    public GenerationConfig GenerationConfig { get; }

    public IBackend Backend => _backend;

    public int FirstLayer { get; }

    public int LayerCount { get; }

    public bool IsFirstStage => FirstLayer == 0;

    public bool IsLastStage => FirstLayer + LayerCount == Config.NumLayers;

    /// <summary>Whether the last step's layers ran as the backend's persistent decode kernel (<see cref="Backends.IPersistentDecodeLayers"/>).</summary>
    public bool LastStepPersistent => _stack.LastRunPersistent;

    public int MaxBatchTokens { get; }

    public int MaxSeqs { get; }

    /// <summary>Longest context a step may reach (RoPE table rows).</summary>
    public int MaxModelLength { get; }

    public int HiddenSize => Config.HiddenSize;

    public int VocabSize => Config.VocabSize;

    /// <summary>End-of-sequence ids: generation_config.json's, else config.json's.</summary>
    public IReadOnlyList<int> EosTokenIds => GenerationConfig.EosTokenIds.Count > 0 ? GenerationConfig.EosTokenIds : Config.EosTokenIds;

    /// <summary>Loads config, generation config and this stage's weights from a Hugging Face model directory.</summary>
    public static LlamaModel Load(string modelDirectory, IBackend backend, ModelLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        options ??= new ModelLoadOptions();
        options.Validate();
        var config = ModelConfigReader.ReadModelConfig(modelDirectory);
        var generation = ModelConfigReader.ReadGenerationConfig(modelDirectory);
        using var weights = WeightStore.Open(modelDirectory);
        return new LlamaModel(config, generation, backend, options, weights);
    }

    /// <summary>The cache geometry for this stage's layers.</summary>
    public KvCacheSpec KvCacheSpec(int numBlocks, int blockSize = Backends.KvCacheSpec.DefaultBlockSize) =>
        new(LayerCount, numBlocks, blockSize, Config.NumKvHeads, Config.HeadDim);

    public BackendKvCache AllocateKvCache(int numBlocks, int blockSize = Backends.KvCacheSpec.DefaultBlockSize) =>
        _backend.AllocateKvCache(KvCacheSpec(numBlocks, blockSize));

    /// <summary>
    /// For a stage after the first: the previous stage's output for the next step, [rows × HiddenSize] each.
    /// </summary>
    public void SetStageInput(ReadOnlySpan<float> hidden, ReadOnlySpan<float> residual, int rows)
    {
        if (IsFirstStage)
        {
            throw new InvalidOperationException("the first stage embeds its own input");
        }

        CheckRows(rows, MaxBatchTokens, "stage input rows");
        _backend.CopyFromHost(hidden, _hidden, rows);
        _backend.CopyFromHost(residual, _residual, rows);
        _stageInputRows = rows;
    }

    /// <summary>Runs this stage's layers over one step; afterwards read <see cref="ReadLogits"/> (last stage) or <see cref="ReadStageOutput"/>.</summary>
    public void Forward(in StepBatch batch, BackendKvCache cache)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int rows = batch.NumTokens;
        CheckRows(rows, MaxBatchTokens, "step tokens");
        if (IsLastStage)
        {
            CheckRows(batch.NumLogitRows, MaxSeqs, "logit rows");
        }

        if (cache.Spec.NumLayers != LayerCount)
        {
            throw new ArgumentException($"the KV cache has {cache.Spec.NumLayers} layers, this stage {LayerCount}", nameof(cache));
        }

        if (batch.MaxContextLength > MaxModelLength)
        {
            throw new InvalidStepBatchException($"context {batch.MaxContextLength} exceeds the model's maximum length {MaxModelLength}");
        }

        if (!IsFirstStage && _stageInputRows != rows)
        {
            throw new InvalidOperationException($"stage input has {_stageInputRows} rows, the step {rows}: call SetStageInput first");
        }

        _backend.PrepareStep(batch, cache);
        bool residualHoldsInput = false;
        if (IsFirstStage)
        {
            // The embedding goes straight into the residual stream; the first norm then has nothing to add.
            _backend.Embedding(_embedding!, _residual);
            residualHoldsInput = true;
        }

        _stack.Run(rows, cache, residualHoldsInput);
        _lastTokens = rows;
        _lastLogitRows = 0;
        _stageInputRows = -1;
        if (IsLastStage && batch.NumLogitRows > 0)
        {
            // Only the rows that are sampled pay for the final norm and the vocabulary-wide GEMM.
            int n = batch.NumLogitRows;
            _backend.GatherLogitRows(_hidden, _logitHidden!);
            _backend.GatherLogitRows(_residual, _logitResidual!);
            _backend.AddRmsNorm(_logitHidden!, _logitResidual!, _finalNorm!, Config.RmsNormEps, _logitNormed!, n);
            _backend.Linear(_logitNormed!, _lmHead!, null, _logits!, n);
            _lastLogitRows = n;
        }
    }

    /// <summary>Logits of the last step's logit rows, [NumLogitRows × VocabSize] row-major.</summary>
    public void ReadLogits(Span<float> destination)
    {
        if (!IsLastStage)
        {
            throw new InvalidOperationException("only the last stage computes logits");
        }

        _backend.CopyToHost(_logits!, _lastLogitRows, destination);
    }

    /// <summary>True when the backend picks greedy tokens itself (<see cref="ArgmaxLogits"/>), so logits need not be copied out.</summary>
    public bool PicksGreedyOnDevice => _backend is IGreedyLogitsReader;

    /// <summary>
    /// Greedy token and raw-logits logprob of each of the last step's logit rows, computed by the backend: the same
    /// picks as host-side greedy sampling (lowest id on ties) with rows × 8 bytes crossing to the host.
    /// </summary>
    public void ArgmaxLogits(Span<int> tokens, Span<float> logprobs)
    {
        if (!IsLastStage)
        {
            throw new InvalidOperationException("only the last stage computes logits");
        }

        var reader = _backend as IGreedyLogitsReader ?? throw new NotSupportedException($"backend {_backend.Name} cannot pick greedy tokens itself");
        reader.ArgmaxLogits(_logits!, _lastLogitRows, tokens, logprobs);
    }

    /// <summary>True when the backend draws sampled tokens itself (<see cref="SampleOnDevice"/>).</summary>
    public bool SamplesOnDevice => _backend is IDeviceSampler { SamplesOnDevice: true };

    /// <summary>
    /// The token of each of the last step's logit rows drawn by the backend with that row's <paramref name="draws"/>
    /// entry (<see cref="DeviceDraw"/>); only the ids cross to the host.
    /// </summary>
    public void SampleOnDevice(ReadOnlySpan<DeviceDrawParams> draws, Span<int> tokens)
    {
        if (!IsLastStage)
        {
            throw new InvalidOperationException("only the last stage computes logits");
        }

        var sampler = _backend as IDeviceSampler ?? throw new NotSupportedException($"backend {_backend.Name} cannot sample on its device");
        sampler.SampleLogits(_logits!, _lastLogitRows, draws, tokens);
    }

    /// <summary>This stage's output of the last step for the next stage, [NumTokens × HiddenSize] each.</summary>
    public void ReadStageOutput(Span<float> hidden, Span<float> residual)
    {
        _backend.CopyToHost(_hidden, _lastTokens, hidden);
        _backend.CopyToHost(_residual, _lastTokens, residual);
    }

    public void Dispose()
    {
        foreach (var layer in _layers)
        {
            layer.Dispose();
        }

        _embedding?.Dispose();
        _finalNorm?.Dispose();
        if (!_lmHeadIsEmbedding)
        {
            _lmHead?.Dispose();
        }

        foreach (var t in new[] { _cosSin, _hidden, _residual, _normed, _qkv, _attention, _gateUp, _activated, _logitHidden, _logitResidual, _logitNormed, _logits })
        {
            t?.Dispose();
        }
    }

    private static void CheckRows(int rows, int max, string what)
    {
        if (rows < 0 || rows > max)
        {
            throw new InvalidStepBatchException($"{what}: {rows} exceeds the preallocated {max}");
        }
    }

    private static T Track<T>(List<IDisposable> allocated, T item)
        where T : IDisposable
    {
        allocated.Add(item);
        return item;
    }

    private BackendTensor Upload(WeightStore weights, List<IDisposable> allocated, string name, params int[] shape) =>
        Track(allocated, _backend.UploadWeight([weights.Get(name, shape)]));

    private LayerWeights LoadLayer(WeightStore w, int index)
    {
        var c = Config;
        string p = $"model.layers.{index}.";
        int h = c.HiddenSize;
        var parts = new List<IDisposable>();
        try
        {
            BackendTensor Up(params TensorView[] views) => Track(parts, _backend.UploadWeight(views));
            return new LayerWeights
            {
                InputNorm = Up(w.Get(p + "input_layernorm.weight", h)),
                Qkv = Up(
                    w.Get(p + "self_attn.q_proj.weight", _shape.QWidth, h),
                    w.Get(p + "self_attn.k_proj.weight", _shape.KvWidth, h),
                    w.Get(p + "self_attn.v_proj.weight", _shape.KvWidth, h)),
                QkvBias = c.QkvBias
                    ? Up(
                        w.Get(p + "self_attn.q_proj.bias", _shape.QWidth),
                        w.Get(p + "self_attn.k_proj.bias", _shape.KvWidth),
                        w.Get(p + "self_attn.v_proj.bias", _shape.KvWidth))
                    : null,
                QNorm = c.QkNorm ? Up(w.Get(p + "self_attn.q_norm.weight", c.HeadDim)) : null,
                KNorm = c.QkNorm ? Up(w.Get(p + "self_attn.k_norm.weight", c.HeadDim)) : null,
                Output = Up(w.Get(p + "self_attn.o_proj.weight", h, _shape.QWidth)),
                OutputBias = c.OutputBias ? Up(w.Get(p + "self_attn.o_proj.bias", h)) : null,
                PostAttentionNorm = Up(w.Get(p + "post_attention_layernorm.weight", h)),
                GateUp = Up(
                    w.Get(p + "mlp.gate_proj.weight", c.IntermediateSize, h),
                    w.Get(p + "mlp.up_proj.weight", c.IntermediateSize, h)),
                Down = Up(w.Get(p + "mlp.down_proj.weight", h, c.IntermediateSize)),
            };
        }
        catch
        {
            foreach (var t in parts)
            {
                t.Dispose();
            }

            throw;
        }
    }
}
