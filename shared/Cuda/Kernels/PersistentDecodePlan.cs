namespace LlmServe.Cuda.Kernels;

/// <summary>
/// How the persistent single-token decode kernel (decode_layers.cu) launches for one model shape: one CTA of
/// <see cref="KernelLibrary.PersistentDecodeThreads"/> threads per SM, each warp with <paramref name="Slots"/> 4 KB
/// weight slots in shared memory.
/// </summary>
/// <param name="HeadDim">Head size (the kernel instance).</param>
/// <param name="Slots">Ring slots per warp: the bytes each warp keeps in flight across a grid barrier.</param>
/// <param name="XBytes">Shared bytes of the input vector (or the attention scratch, which shares them).</param>
/// <param name="SharedBytes">Dynamic shared memory of one CTA.</param>
/// <param name="Grid">CTAs: one per SM, all resident (the grid barriers need every CTA running at once).</param>
/// <param name="Partitions">Context partitions per KV head in the attention phase.</param>
public sealed record PersistentDecodePlan(int HeadDim, int Slots, int XBytes, int SharedBytes, int Grid, int Partitions);
