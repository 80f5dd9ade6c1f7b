using System.Runtime.InteropServices;
using LlmServe.Inference.Backends;
using LlmServe.Inference.KvCache;
using LlmServe.Inference.Models;
using LlmServe.Inference.Sampling;

namespace LlmServe.Inference.Engine;

/// <summary>
/// Offline generation like vLLM's <c>LLM.generate</c>: all prompts go into one continuous batch; each step runs
/// every decoding sequence plus prefill chunks of waiting ones under the token budget, samples the sequences
/// whose logits are ready, and admits new prompts as blocks free up. A sequence reserves the KV blocks for
/// prompt + max_tokens when admitted, so nothing is ever preempted (the server's scheduler does better).
/// </summary>
public sealed class LlmEngine : IDisposable
{
    private readonly LlmEngineOptions _options;
    private readonly BackendKvCache _cache;
    private readonly BlockAllocator _blocks;
    private readonly StepBatchBuilder _builder;
    private readonly float[] _logits;
    private readonly bool _ownsModel;

    public LlmEngine(LlamaModel model, LlmEngineOptions? options = null, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LlmEngineOptions();
        options.Validate();
        if (!model.IsFirstStage || !model.IsLastStage)
        {
            throw new ArgumentException("offline generation needs the whole model in one stage", nameof(model));
        }

        Model = model;
        _options = options;
        _ownsModel = ownsModel;
        MaxModelLength = Math.Min(options.MaxModelLength ?? model.MaxModelLength, model.MaxModelLength);
        MaxSeqs = Math.Min(options.MaxSeqs, model.MaxSeqs);
        MaxBatchTokens = Math.Min(options.MaxBatchTokens, model.MaxBatchTokens);
        int blocksPerSeq = (MaxModelLength + options.BlockSize - 1) / options.BlockSize;
        int numBlocks = options.NumKvBlocks ?? (blocksPerSeq * MaxSeqs);
        _cache = model.AllocateKvCache(numBlocks, options.BlockSize);
        _blocks = new BlockAllocator(numBlocks);
        _builder = new StepBatchBuilder(MaxBatchTokens, MaxSeqs, blocksPerSeq, options.BlockSize);
        _logits = new float[MaxSeqs * model.VocabSize];
    }

    public LlamaModel Model { get; }

    public int MaxModelLength { get; }

    public int MaxSeqs { get; }

    public int MaxBatchTokens { get; }

    /// <summary>Loads <paramref name="modelDirectory"/> on <paramref name="backend"/> sized for <paramref name="options"/>.</summary>
    public static LlmEngine Load(string modelDirectory, IBackend backend, LlmEngineOptions? options = null)
    {
        options ??= new LlmEngineOptions();
        options.Validate();
        var model = LlamaModel.Load(modelDirectory, backend, new ModelLoadOptions
        {
            MaxBatchTokens = options.MaxBatchTokens,
            MaxSeqs = options.MaxSeqs,
            MaxModelLength = options.MaxModelLength,
        });
        try
        {
            return new LlmEngine(model, options, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Generates for every prompt (token ids) with the same sampling options; results come back in prompt order.
    /// <paramref name="progress"/> receives the running total of generated tokens after each step.
    /// </summary>
    public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions sampling, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(sampling);
        sampling.Validate();
        var eos = Model.EosTokenIds;
        var sequences = new OfflineSequence[prompts.Count];
        for (int i = 0; i < prompts.Count; i++)
        {
            var prompt = prompts[i] ?? throw new ArgumentException($"prompt {i} is null", nameof(prompts));
            if (prompt.Count == 0)
            {
                throw new ArgumentException($"prompt {i} is empty", nameof(prompts));
            }

            if (prompt.Count >= MaxModelLength)
            {
                throw new ArgumentException($"prompt {i} has {prompt.Count} tokens; the context limit is {MaxModelLength}", nameof(prompts));
            }

            foreach (int token in prompt)
            {
                if ((uint)token >= (uint)Model.VocabSize)
                {
                    throw new ArgumentException($"prompt {i} has token id {token} outside the vocabulary of {Model.VocabSize}", nameof(prompts));
                }
            }

            sequences[i] = new OfflineSequence(i, prompt, new SequenceSampler(sampling, eos, prompt.ToArray(), []));
        }

        var waiting = new Queue<OfflineSequence>(sequences);
        var running = new List<OfflineSequence>();
        var sampled = new List<(OfflineSequence Seq, int Row)>();
        int generatedTotal = 0;
        while (waiting.Count > 0 || running.Count > 0)
        {
            Admit(waiting, running, sampling.MaxTokens);
            if (running.Count == 0)
            {
                throw new InvalidOperationException($"the KV cache ({_blocks.NumBlocks} blocks) cannot hold one sequence of prompt + max_tokens");
            }

            BuildStep(running, sampled);
            var batch = _builder.Build();
            Model.Forward(batch, _cache);
            foreach (var seq in running)
            {
                // Tokens fed this step are now cached.
                seq.Computed += seq.StepTokens;
            }

            if (sampled.Count > 0)
            {
                Model.ReadLogits(_logits);
                foreach (var (seq, row) in sampled)
                {
                    AppendSample(seq, _logits.AsSpan(row * Model.VocabSize, Model.VocabSize));
                    generatedTotal++;
                }
            }

            for (int i = running.Count - 1; i >= 0; i--)
            {
                if (running[i].Finish is not null)
                {
                    Release(running[i]);
                    running.RemoveAt(i);
                }
            }

            progress?.Report(generatedTotal);
        }

        return sequences.Select(s => new GenerationResult
        {
            PromptTokenIds = s.Prompt,
            TokenIds = s.Generated.ToArray(),
            Logprobs = s.Logprobs.ToArray(),
            TopLogprobs = s.TopLogprobs.ToArray(),
            FinishReason = s.Finish ?? FinishReason.Length,
        }).ToArray();
    }

    public void Dispose()
    {
        _cache.Dispose();
        if (_ownsModel)
        {
            Model.Dispose();
        }
    }

    private void Admit(Queue<OfflineSequence> waiting, List<OfflineSequence> running, int maxTokens)
    {
        while (waiting.Count > 0 && running.Count < MaxSeqs)
        {
            var seq = waiting.Peek();
            int total = Math.Min(seq.Prompt.Length + maxTokens, MaxModelLength);
            int needed = (total + _options.BlockSize - 1) / _options.BlockSize;
            if (needed > _blocks.FreeBlocks)
            {
                return;
            }

            for (int b = 0; b < needed; b++)
            {
                _blocks.TryAllocate(out int block);
                seq.Blocks.Add(block);
            }

            running.Add(waiting.Dequeue());
        }
    }

    private void BuildStep(List<OfflineSequence> running, List<(OfflineSequence Seq, int Row)> sampled)
    {
        _builder.Clear();
        sampled.Clear();
        int budget = MaxBatchTokens;
        // Decodes first: one token each keeps every running stream moving.
        foreach (var seq in running)
        {
            seq.StepTokens = 0;
            if (seq.PrefillDone && budget > 0)
            {
                int pos = seq.Tokens.Count - 1;
                int row = _builder.AddSequence(CollectionsMarshal.AsSpan(seq.Tokens).Slice(pos, 1), pos, CollectionsMarshal.AsSpan(seq.Blocks), wantLogits: true);
                sampled.Add((seq, row));
                seq.StepTokens = 1;
                budget--;
            }
        }

        foreach (var seq in running)
        {
            if (seq.PrefillDone || budget == 0)
            {
                continue;
            }

            int chunk = Math.Min(seq.Prompt.Length - seq.Computed, budget);
            bool completes = seq.Computed + chunk == seq.Prompt.Length;
            int row = _builder.AddSequence(seq.Prompt.AsSpan(seq.Computed, chunk), seq.Computed, CollectionsMarshal.AsSpan(seq.Blocks), completes);
            if (completes)
            {
                sampled.Add((seq, row));
            }

            seq.StepTokens = chunk;
            budget -= chunk;
        }
    }

    private void AppendSample(OfflineSequence seq, Span<float> logits)
    {
        var sample = seq.Sampler.Sample(logits);
        seq.Sampler.Accept(sample.TokenId);
        seq.Generated.Add(sample.TokenId);
        seq.Tokens.Add(sample.TokenId);
        var options = seq.Sampler.Options;
        if (options.Logprobs)
        {
            seq.Logprobs.Add(sample.Logprob);
            seq.TopLogprobs.Add(sample.TopLogprobs.ToArray());
        }

        if (seq.Sampler.IsStopToken(sample.TokenId))
        {
            seq.Finish = FinishReason.Stop;
        }
        else if (seq.Generated.Count >= options.MaxTokens || seq.Tokens.Count >= MaxModelLength)
        {
            seq.Finish = FinishReason.Length;
        }
    }

    private void Release(OfflineSequence seq)
    {
        foreach (int block in seq.Blocks)
        {
            _blocks.Free(block);
        }

        seq.Blocks.Clear();
    }
}
