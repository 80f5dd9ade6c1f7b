using LlmServe.Cuda.Kernels;

namespace LlmServe.Cuda.Tests.Backend;

public class BlockSizeCheckTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(256)]
    public void Powers_of_two_up_to_256_are_accepted(int blockSize) => KernelLibrary.CheckBlockSize(blockSize);

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(24)]
    [InlineData(512)]
    public void Other_block_sizes_get_an_error_naming_the_size(int blockSize)
    {
        var e = Assert.Throws<NotSupportedException>(() => KernelLibrary.CheckBlockSize(blockSize));
        Assert.Contains($"block size {blockSize}", e.Message, StringComparison.Ordinal);
    }
}
