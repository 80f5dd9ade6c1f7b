using LlmServe.Cuda.Compilation;
using LlmServe.Cuda.Runtime;

namespace LlmServe.Cuda.Kernels;

// The prefill attention on Hopper's warpgroup MMAs (Kernels/Hopper/prefill_attention_wgmma.cu): its own module,
// compiled for sm_90a only when asked for, so nothing else depends on it.
public sealed unsafe partial class KernelLibrary
{
    private readonly Dictionary<int, CudaFunction> _prefillWgmma = [];
    private CudaModule? _wgmmaModule;

    /// <summary>Head sizes of the wgmma prefill kernel.</summary>
    public static IReadOnlyList<int> WgmmaPrefillHeadDims { get; } = [64, 128];

    /// <summary>Whether the wgmma prefill module is loaded (<see cref="LoadWgmmaPrefill"/>).</summary>
    public bool HasWgmmaPrefill => _wgmmaModule is not null;

    /// <summary>Whether prefill attention runs on the wgmma kernel where it is loaded and takes the head size (default once loaded).</summary>
    public bool PrefillOnWgmma { get; set; }

    /// <summary>
    /// Compiles (or takes from the cache) and loads the wgmma prefill attention for an sm_90 device, as sm_90a. Throws
    /// <see cref="NotSupportedException"/> on another architecture, and what NVRTC or the driver throws otherwise.
    /// </summary>
    public void LoadWgmmaPrefill(CudaContext context, NvrtcCompiler compiler, KernelCache cache)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Info.Arch != "sm_90")
        {
            throw new NotSupportedException($"the wgmma prefill attention needs an sm_90 GPU, not {context.Info.Arch}");
        }

        if (_wgmmaModule is not null)
        {
            return;
        }

        var image = new KernelModuleBuilder(compiler, cache).Build(KernelSources.HopperPrefill(), "sm_90a");
        var module = CudaModule.Load(context, image);
        try
        {
            foreach (var d in WgmmaPrefillHeadDims)
            {
                var fn = module.GetFunction($"prefill_attention_wgmma_d{d}").WithProgrammaticLaunch(_programmatic);
                fn.SetMaxDynamicSharedMemory(WgmmaPrefillSharedBytes(d));
                _prefillWgmma[d] = fn;
                _all[fn.Name] = fn;
            }
        }
        catch
        {
            _prefillWgmma.Clear();
            module.Dispose();
            throw;
        }

        _wgmmaModule = module;
        PrefillOnWgmma = true;
    }

    /// <summary>Dynamic shared memory of the wgmma prefill kernel: two stages of a K and a V tile, 64 keys × d, unpadded.</summary>
    public static int WgmmaPrefillSharedBytes(int d) => 2 * 2 * PrefillTile * d * 2;

    private bool TryWgmmaPrefill(int headDim, out CudaFunction fn)
    {
        fn = default;
        return PrefillOnWgmma && _prefillWgmma.TryGetValue(headDim, out fn);
    }
}
