namespace LlmServe.Cuda.Compilation;

/// <summary>Gets the CUBIN of the combined kernel sources for one arch: from the disk cache, or NVRTC then the cache.</summary>
public sealed class KernelModuleBuilder(NvrtcCompiler compiler, KernelCache cache)
{
    /// <summary>Whether the last build came from the cache (for the start-up log).</summary>
    public bool LastWasCached { get; private set; }

    public byte[] Build(string arch) => Build(KernelSources.Combined(), arch);

    public byte[] Build(string source, string arch)
    {
        ArgumentNullException.ThrowIfNull(compiler);
        ArgumentNullException.ThrowIfNull(cache);
        var options = NvrtcCompiler.DefaultOptions(arch);
        var key = KernelCacheKey.Compute(source, options, arch, compiler.Version);
        if (cache.TryRead(key, out var cached))
        {
            LastWasCached = true;
            return cached;
        }

        var image = compiler.Compile(source, "llmserve_kernels.cu", options);
        try
        {
            cache.Write(key, image);
        }
        catch (IOException)
        {
            // A read-only cache only costs the next start-up a compile.
        }
        catch (UnauthorizedAccessException)
        {
        }

        LastWasCached = false;
        return image;
    }
}
