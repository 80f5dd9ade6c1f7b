using LlmServe.Inference.Backends;

namespace LlmServe.Cuda.Backend;

/// <summary>
/// Sizes the KV cache from what is left after the weights load, like vLLM's --gpu-memory-utilization:
/// blocks = (total × fraction − memory already in use − reserve) / bytes per block.
/// </summary>
public static class KvCachePlanner
{
    /// <summary>Headroom left for cuBLASLt workspaces, graphs and the driver.</summary>
    public const long DefaultReserveBytes = 512L << 20;

    /// <summary>Bytes one block takes over all layers (K and V, bf16).</summary>
    public static long BytesPerBlock(int layers, int blockSize, int kvHeads, int headDim) => 2L * layers * blockSize * kvHeads * headDim * 2;

    public static int Blocks(long totalBytes, long freeBytes, double gpuMemoryUtilization, long bytesPerBlock, long reserveBytes = DefaultReserveBytes)
    {
        if (gpuMemoryUtilization is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(gpuMemoryUtilization), gpuMemoryUtilization, "gpu-memory-utilization must be in (0, 1]");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytesPerBlock);
        long used = totalBytes - freeBytes;
        long budget = (long)(totalBytes * gpuMemoryUtilization) - used - reserveBytes;
        return (int)Math.Clamp(budget / bytesPerBlock, 0, int.MaxValue);
    }

    /// <summary>"KV cache: N blocks = M tokens, max concurrency at max_model_len: X" as vLLM logs it.</summary>
    public static string Describe(KvCacheSpec spec, int maxModelLength)
    {
        ArgumentNullException.ThrowIfNull(spec);
        long tokens = spec.NumSlots;
        double concurrency = maxModelLength > 0 ? (double)tokens / maxModelLength : 0;
        return $"KV cache: {spec.NumBlocks} blocks = {tokens} tokens, max concurrency at max_model_len {maxModelLength}: {concurrency:F2}x";
    }
}
