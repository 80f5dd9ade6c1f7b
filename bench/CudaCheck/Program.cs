using LlmServe.Cuda.Backend;
using LlmServe.Cuda.Compilation;
using LlmServe.Cuda.Native;
using LlmServe.CudaCheck;

// Usage (on the GPU machine):  LlmServe.CudaCheck [kernels] [nccl] [backend FIXTURES_DIR] [bench] [wgmma]   (default, or wgmma alone: all)
//                              (wgmma: also load, check and time the wgmma prefill attention; with "kernels" or "bench")
//                              LlmServe.CudaCheck profile   (a few launches of the hot kernels, for ncu)
//                              LlmServe.CudaCheck persistent [LAYERS]   (the persistent decode checks on a small model; 1 layer by default)
//                              LlmServe.CudaCheck compile [sm_90]   (NVRTC only; needs no GPU)
var libs = CudaLibraryOptions.FromProcessEnvironment();
if (args.Length > 0 && args[0] == "compile")
{
    var arch = args.Length > 1 ? args[1] : "sm_90";
    var compiler = NvrtcCompiler.Load(libs);
    var sw = System.Diagnostics.Stopwatch.StartNew();
    var image = compiler.Compile(KernelSources.Combined(), "llmserve_kernels.cu", NvrtcCompiler.DefaultOptions(arch));
    Console.WriteLine($"nvrtc {compiler.Version}: {image.Length} bytes of CUBIN for {arch} in {sw.ElapsedMilliseconds} ms");
    return 0;
}

var report = new Report();
var outDir = Environment.GetEnvironmentVariable("OUT");
var startup = System.Diagnostics.Stopwatch.StartNew();
// "wgmma" (or LLMSERVE_CUDA_WGMMA=1) loads the wgmma prefill attention (sm_90) for its checks and timings beside the
// mma.sync kernel; it stays off everywhere else. Not loaded by default: until it has run on a GPU, a fault in it must
// not take the rest of a run with it (a sticky CUDA error ends the context).
bool wgmma = args.Contains("wgmma") || new CudaBackendOptions().WgmmaPrefill;
if (!CudaBackend.TryCreate(new CudaBackendOptions { Libraries = libs, WgmmaPrefill = wgmma }, out var backend, out var error))
{
    Console.WriteLine($"CUDA backend unavailable: {error}");
    return 2;
}

using (backend)
{
    var dev = backend!.Device;
    report.Line($"device: {dev.Name} ({dev.Arch}, {dev.MultiprocessorCount} SMs, {dev.TotalMemoryBytes / (1 << 20)} MiB, L2 {dev.L2CacheBytes >> 20} MiB), driver API {dev.DriverApiVersion}");
    report.Line($"backend up in {startup.ElapsedMilliseconds} ms (kernels {(backend.KernelsFromCache ? "from disk cache" : "compiled by NVRTC")}); wgmma prefill attention: {backend.WgmmaPrefillStatus}");
    backend.PrefillOnWgmma = false;
    var gpu = new Gpu(backend);
    bool all = args.All(a => a == "wgmma");
    try
    {
        if (args.Contains("profile"))
        {
            new ProfileTargets(gpu, report).Run(3);
        }

        int p = Array.IndexOf(args, "persistent");
        if (p >= 0)
        {
            int layers = p + 1 < args.Length && int.TryParse(args[p + 1], out var n) ? n : 1;
            new PersistentDecodeChecks(backend, gpu, report).Smoke(layers);
        }

        if (all || args.Contains("kernels"))
        {
            new KernelChecks(gpu, report).RunAll();
            new FusedGemvChecks(gpu, report).RunAll();
            new SamplingChecks(gpu, report).RunAll();
        }

        if (all || args.Contains("nccl"))
        {
            NcclCheck.Run(gpu, libs, report);
        }

        int b = Array.IndexOf(args, "backend");
        if (all || b >= 0)
        {
            var fixtures = b >= 0 && b + 1 < args.Length ? args[b + 1] : "tests/fixtures/models";
            new BackendChecks(backend, report).Run(fixtures);
        }

        if (all || args.Contains("bench"))
        {
            new Benchmarks(backend, gpu, report).Run();
        }
    }
    catch (Exception e)
    {
        report.Check("run", false, e.ToString());
    }

    report.Line("");
    report.Line(report.Summary());
    report.Save(outDir);
}

return report.Failures == 0 ? 0 : 1;
