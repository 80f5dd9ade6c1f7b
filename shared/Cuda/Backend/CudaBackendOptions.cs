using LlmServe.Cuda.Kernels;
using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Backend;

/// <summary>Settings of the CUDA backend; defaults fit a single-GPU server.</summary>
public sealed record CudaBackendOptions
{
    public int DeviceIndex { get; init; }

    public CudaLibraryOptions Libraries { get; init; } = CudaLibraryOptions.FromProcessEnvironment();

    /// <summary>Where compiled kernels are cached; null = $LLMSERVE_CACHE/cuda-kernels.</summary>
    public string? KernelCacheDirectory { get; init; }

    /// <summary>Replay decode steps from CUDA graphs captured per batch-size bucket (LLMSERVE_CUDA_GRAPHS=0 turns it off).</summary>
    public bool UseGraphs { get; init; } = Environment.GetEnvironmentVariable("LLMSERVE_CUDA_GRAPHS") != "0";

    /// <summary>
    /// Launch kernels with programmatic dependent launch on sm_90+, so each starts under the previous one's tail
    /// (LLMSERVE_CUDA_PDL=0 turns it off).
    /// </summary>
    public bool ProgrammaticLaunch { get; init; } = Environment.GetEnvironmentVariable("LLMSERVE_CUDA_PDL") != "0";

    /// <summary>
    /// Apply SiLU-and-mul inside gate_up's GEMV in steps of up to 8 rows, one kernel less a layer
    /// (LLMSERVE_CUDA_FUSE=0 turns it off; the result is the same bit for bit).
    /// </summary>
    public bool FuseGateUpActivation { get; init; } = Environment.GetEnvironmentVariable("LLMSERVE_CUDA_FUSE") != "0";

    /// <summary>
    /// 16-byte weight loads each lane of a one-row decode GEMV issues before it waits for the previous kernel, 0 to 6
    /// (LLMSERVE_CUDA_GEMV_PREFETCH; default 3): the GEMV streams weights while the latency-bound kernel before it
    /// runs. Same result bit for bit at every value.
    /// </summary>
    public int GemvPrefetch { get; init; } = int.TryParse(Environment.GetEnvironmentVariable("LLMSERVE_CUDA_GEMV_PREFETCH"), out var p) ? p : KernelLibrary.GemvPrefetchDefault;

    /// <summary>
    /// Let the norm, RoPE and split-K merge kernels launch their successor before they wait for their predecessor
    /// (LLMSERVE_CUDA_EARLY_TRIGGER=0 turns it off), so a decode GEMV stages weights sooner. Same result either way.
    /// </summary>
    public bool EarlyTrigger { get; init; } = Environment.GetEnvironmentVariable("LLMSERVE_CUDA_EARLY_TRIGGER") != "0";

    /// <summary>
    /// Draw sampled rows (temperature, top-k, top-p, min-p) on the GPU, copying only token ids to the host
    /// (LLMSERVE_CUDA_SAMPLE=0 copies the logits and samples on the host instead).
    /// </summary>
    public bool SampleOnDevice { get; init; } = Environment.GetEnvironmentVariable("LLMSERVE_CUDA_SAMPLE") != "0";

    /// <summary>
    /// Run prefill attention on Hopper's warpgroup MMAs (its own module, compiled for sm_90a) on sm_90 GPUs
    /// (LLMSERVE_CUDA_WGMMA=1). Off by default: written without a GPU in session 10 and not yet checked on one; where it
    /// fails to load, the mma.sync kernel runs and <see cref="CudaBackend.WgmmaPrefillStatus"/> says why.
    /// </summary>
    public bool WgmmaPrefill { get; init; } = Environment.GetEnvironmentVariable("LLMSERVE_CUDA_WGMMA") == "1";

    /// <summary>
    /// Run the decoder layers of one-token decode steps as one persistent kernel on sm_90+ where the model's layers fit
    /// it (decode_layers.cu). Off by default (LLMSERVE_CUDA_PERSISTENT=1 turns it on): it matches the per-op path but
    /// is slower than it so far (H200, 8B-shaped: 4.58 against 4.37 ms a token; bench/cuda/KERNELS.md, session 8).
    /// </summary>
    public bool PersistentDecode { get; init; } = Environment.GetEnvironmentVariable("LLMSERVE_CUDA_PERSISTENT") == "1";

    /// <summary>Decode batch sizes that get a graph; a batch pads up to the next one.</summary>
    public IReadOnlyList<int> GraphBuckets { get; init; } = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    /// <summary>Pinned staging used while uploading weights (two halves, double-buffered).</summary>
    public long StagingBytes { get; init; } = 64L << 20;
}
