using LlmServe.Cuda.Compilation;

namespace LlmServe.Cuda.Tests.Compilation;

/// <summary>
/// The main kernel module must compile for any supported GPU, so the sm_90a-only wgmma kernel lives in its own
/// translation unit: it must not leak into the main one, and its own must hold what it builds on.
/// </summary>
public sealed class KernelSourcesTests
{
    [Fact]
    public void The_main_module_leaves_the_hopper_only_sources_out()
    {
        Assert.DoesNotContain(KernelSources.Files(), f => f.StartsWith("Hopper.", StringComparison.Ordinal));
        Assert.Contains("prefill_attention.cu", KernelSources.Files());
        Assert.DoesNotContain("wgmma.mma_async", KernelSources.Combined(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_wgmma_module_holds_the_common_header_the_shared_prefill_pipeline_and_its_kernels()
    {
        string source = KernelSources.HopperPrefill();

        Assert.StartsWith(KernelSources.Read("common.cuh"), source, StringComparison.Ordinal);
        Assert.Contains("struct PrefillMmaTile", source, StringComparison.Ordinal);
        Assert.Contains("struct PrefillWgmmaTile", source, StringComparison.Ordinal);
        Assert.Contains("PREFILL_WGMMA_KERNEL(prefill_attention_wgmma_d64, 64)", source, StringComparison.Ordinal);
        Assert.Contains("PREFILL_WGMMA_KERNEL(prefill_attention_wgmma_d128, 128)", source, StringComparison.Ordinal);
        Assert.True(source.IndexOf("struct PrefillMmaTile", StringComparison.Ordinal) < source.IndexOf("struct PrefillWgmmaTile", StringComparison.Ordinal),
            "the wgmma tile is compiled after the pipeline it plugs into");
    }
}
