using LlmServe.Cuda.Kernels;

namespace LlmServe.Cuda.Tests.Backend;

public class GemvSplitTests
{
    [Theory]
    [InlineData(6144, 4096, 2)]    // Llama-3.1-8B qkv
    [InlineData(4096, 4096, 2)]    // o_proj
    [InlineData(4096, 14336, 2)]   // down_proj
    [InlineData(28672, 4096, 1)]   // gate_up: enough rows for a warp each
    [InlineData(128256, 4096, 1)]  // lm_head
    [InlineData(1000, 96, 1)]      // short rows: not worth a second warp
    public void Narrow_matrices_with_long_rows_share_each_row_between_two_warps(int n, int k, int split) =>
        Assert.Equal(split, KernelLibrary.GemvSplit(n, k));
}
