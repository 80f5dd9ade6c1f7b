using LlmServe.Inference.Weights;

namespace LlmServe.Inference.Backends;

/// <summary>
/// The kernels the Llama-family model needs. The model code (Models/LlamaModel) decides the math
/// and the order of calls; a backend owns memory and supplies the kernels.
/// <para>
/// Contract for graph capture (CUDA): every buffer is allocated up front (weights, activations sized for the
/// maximum tokens per step, the KV cache, the RoPE table); a step starts with <see cref="PrepareStep"/>, which
/// copies the step metadata into the backend's own preallocated buffers; every later call of that step takes
/// its shapes from explicit row counts the model reads off the same <see cref="StepBatch"/> (NumTokens,
/// NumLogitRows) and nothing allocates. Calls are issued in order on one logical stream; host reads
/// (<see cref="CopyToHost"/>) wait for the work before them.
/// </para>
/// <para>Activations are fp32 at the interface (host copies are float spans); a backend may keep another
/// dtype inside its tensors.</para>
/// </summary>
public interface IBackend : IDisposable
{
    /// <summary>Short device name ("cpu", "cuda:0").</summary>
    string Name { get; }

    /// <summary>
    /// Uploads a weight made of one or more checkpoint tensors concatenated along the first dimension
    /// (e.g. q_proj, k_proj, v_proj into one fused QKV matrix). 2-D parts must share the column count; 1-D parts
    /// (norm weights, biases) are joined into one row. Converts from the checkpoint dtype (F32/BF16/F16) to the
    /// backend's compute type (CPU: fp32).
    /// </summary>
    BackendTensor UploadWeight(IReadOnlyList<TensorView> parts);

    /// <summary>Uploads host fp32 data as a [rows × cols] tensor (RoPE tables, derived weights).</summary>
    BackendTensor UploadFloats(ReadOnlySpan<float> data, int rows, int cols);

    /// <summary>Allocates a zeroed activation buffer of [rows × cols].</summary>
    BackendTensor Allocate(int rows, int cols);

    /// <summary>Allocates a zeroed paged KV cache.</summary>
    BackendKvCache AllocateKvCache(KvCacheSpec spec);

    /// <summary>
    /// Starts a step: validates <paramref name="batch"/> against <paramref name="cache"/> and copies its
    /// metadata (token ids, positions, slots, query starts, context lengths, block tables, logit rows) into
    /// the backend's step buffers. Every op until the next call refers to this step.
    /// </summary>
    void PrepareStep(in StepBatch batch, BackendKvCache cache);

    /// <summary>output[t] = table[token id of row t] for the step's tokens.</summary>
    void Embedding(BackendTensor table, BackendTensor output);

    /// <summary>output[0..rows) = input[0..rows) · weightᵀ (+ bias row). Weight is [out × in] (Hugging Face layout).</summary>
    void Linear(BackendTensor input, BackendTensor weight, BackendTensor? bias, BackendTensor output, int rows);

    /// <summary>output = RMSNorm(input) · weight over each row.</summary>
    void RmsNorm(BackendTensor input, BackendTensor weight, float epsilon, BackendTensor output, int rows);

    /// <summary>Fused residual add and norm: residual += input; output = RMSNorm(residual) · weight.</summary>
    void AddRmsNorm(BackendTensor input, BackendTensor residual, BackendTensor weight, float epsilon, BackendTensor output, int rows);

    /// <summary>
    /// In-place RMSNorm of each head-sized slice in columns [firstColumn, firstColumn + numHeads·headDim) of
    /// every row, with one shared [headDim] weight (Qwen3's q_norm / k_norm).
    /// </summary>
    void HeadRmsNorm(BackendTensor x, int firstColumn, int numHeads, int headDim, BackendTensor weight, float epsilon, int rows);

    /// <summary>
    /// Rotates q and k of a fused QKV buffer in place by each token's position (neox "rotate half" layout)
    /// using <paramref name="cosSin"/> = [positions × headDim] rows of (cos[0..headDim/2) | sin[0..headDim/2)),
    /// then writes k and v of each token into <paramref name="layer"/>'s pools at the step's slot mapping.
    /// </summary>
    void RopeAndWriteKv(BackendTensor qkv, AttentionShape shape, BackendTensor cosSin, BackendKvCache cache, int layer);

    /// <summary>
    /// Causal attention of each query row (q from the fused <paramref name="qkv"/>) over its sequence's cached
    /// context in <paramref name="layer"/>'s pools, for a mixed batch of prefill chunks and decodes; writes
    /// [NumTokens × NumHeads·HeadDim] into <paramref name="output"/>. Query i of sequence s sits at context
    /// position ContextLengths[s] - qLen + i and sees positions 0..itself.
    /// </summary>
    void Attention(BackendTensor qkv, AttentionShape shape, BackendKvCache cache, int layer, float scale, BackendTensor output);

    /// <summary>output[:, j] = silu(gateUp[:, j]) · gateUp[:, width + j] where gateUp = [gate | up] of width 2·width.</summary>
    void SiluAndMul(BackendTensor gateUp, BackendTensor output, int width, int rows);

    /// <summary>output[i] = input[LogitRows[i]] for the step's logit rows.</summary>
    void GatherLogitRows(BackendTensor input, BackendTensor output);

    /// <summary>Copies the whole KV of block <paramref name="source"/> to block <paramref name="destination"/> in every layer (copy-on-write of a shared prefix).</summary>
    void CopyKvBlock(BackendKvCache cache, int source, int destination);

    /// <summary>Reads rows [0, rows) of <paramref name="source"/> as fp32 (logits, stage outputs). Waits for queued work.</summary>
    void CopyToHost(BackendTensor source, int rows, Span<float> destination);

    /// <summary>Writes fp32 rows [0, rows) of <paramref name="destination"/> (stage inputs).</summary>
    void CopyFromHost(ReadOnlySpan<float> source, BackendTensor destination, int rows);

    /// <summary>Waits until all queued work has finished.</summary>
    void Synchronize();
}
