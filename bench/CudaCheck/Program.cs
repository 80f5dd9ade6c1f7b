using LlmServe.Cuda.Compilation;
using LlmServe.Cuda.Native;

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
return 1;
