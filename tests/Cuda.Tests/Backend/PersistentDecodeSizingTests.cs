using LlmServe.Cuda.Kernels;

namespace LlmServe.Cuda.Tests.Backend;

/// <summary>
/// Shared-memory sizing of the persistent decode kernel (decode_layers.cu): its x region holds the widest GEMV input
/// and the attention scratch that shares it, and an 8B-shaped layer leaves room for five 4 KB slots a warp on an H100/H200
/// (227 KB a block).
/// </summary>
public class PersistentDecodeSizingTests
{
    private const int HopperSharedPerBlock = 232448;

    [Theory]
    [InlineData(4096, 14336, 32, 8, 128, 2 * 14336)]                           // Llama-3.1-8B: the down projection's input
    [InlineData(4096, 14336, 32, 4, 128, 4 * ((8 * 128) + (8 * 8 * 128) + (8 * 8 * 2)))]   // 8 q heads a KV head: attention scratch
    [InlineData(2048, 8192, 32, 8, 64, 2 * 8192)]                              // Llama-3.2-1B
    [InlineData(4000, 10, 4, 4, 64, 8000)]                                     // hidden wider than anything else
    public void The_x_region_holds_the_widest_input_or_the_attention_scratch(int hidden, int inter, int heads, int kvHeads, int headDim, int expected)
    {
        int bytes = KernelLibrary.PersistentDecodeXBytes(hidden, inter, heads, kvHeads, headDim);
        Assert.Equal((expected + 15) / 16 * 16, bytes);
        Assert.Equal(0, bytes % 16);
    }

    [Fact]
    public void An_8b_layer_leaves_five_4kb_slots_a_warp_on_hopper()
    {
        const int warps = 8;
        int x = KernelLibrary.PersistentDecodeXBytes(4096, 14336, 32, 8, 128);
        int fixedBytes = KernelLibrary.PersistentDecodeSharedBytes(0, x, 4096);
        int slots = (HopperSharedPerBlock - 256 - fixedBytes) / (warps * (KernelLibrary.PersistentDecodeSlotBytes + 8));
        Assert.Equal(5, slots);
        Assert.True(KernelLibrary.PersistentDecodeSharedBytes(slots, x, 4096) + 256 <= HopperSharedPerBlock);
        Assert.True(KernelLibrary.PersistentDecodeSharedBytes(slots + 1, x, 4096) + 256 > HopperSharedPerBlock);
    }
}
