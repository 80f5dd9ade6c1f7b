using LlmServe.Cuda.Compilation;

namespace LlmServe.Cuda.Tests.Compilation;

public class KernelCacheTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "llmserve-kcache-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void The_key_changes_with_source_options_arch_and_compiler()
    {
        string[] opts = ["--gpu-architecture=sm_90"];
        var key = KernelCacheKey.Compute("src", opts, "sm_90", "13.0");

        Assert.Equal(key, KernelCacheKey.Compute("src", opts, "sm_90", "13.0"));
        Assert.NotEqual(key, KernelCacheKey.Compute("src ", opts, "sm_90", "13.0"));
        Assert.NotEqual(key, KernelCacheKey.Compute("src", ["--gpu-architecture=sm_80"], "sm_90", "13.0"));
        Assert.NotEqual(key, KernelCacheKey.Compute("src", opts, "sm_100", "13.0"));
        Assert.NotEqual(key, KernelCacheKey.Compute("src", opts, "sm_90", "13.1"));
        Assert.Equal(64, key.Length);
    }

    [Fact]
    public void Concatenations_that_read_the_same_give_different_keys() =>
        Assert.NotEqual(KernelCacheKey.Compute("ab", ["c"], "x", "y"), KernelCacheKey.Compute("a", ["bc"], "x", "y"));

    [Fact]
    public void Writes_and_reads_back_a_cubin_by_key()
    {
        var cache = new KernelCache(_dir);
        Assert.False(cache.TryRead("k1", out _));

        cache.Write("k1", [1, 2, 3]);

        Assert.True(cache.TryRead("k1", out var image));
        Assert.Equal([1, 2, 3], image);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void The_default_cache_lives_under_LLMSERVE_CACHE_or_the_home_cache() =>
        Assert.EndsWith(Path.Combine("cuda-kernels"), KernelCache.Default().Directory, StringComparison.Ordinal);

    [Fact]
    public void Every_kernel_source_is_embedded_and_the_common_header_comes_first()
    {
        var files = KernelSources.Files();

        Assert.Contains("decode_attention.cu", files);
        Assert.Contains("prefill_attention.cu", files);
        Assert.Contains("sampling.cu", files);
        Assert.Contains("gemv.cu", files);
        var combined = KernelSources.Combined();
        Assert.StartsWith("// Shared by every kernel file", combined, StringComparison.Ordinal);
        Assert.Contains("extern \"C\" __global__ void rope_qk_norm_cache", combined, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
