using LlmServe.Cuda;
using LlmServe.Cuda.Native;

namespace LlmServe.Cuda.Tests.Native;

public class NativeLibraryResolverTests
{
    [Fact]
    public void Searches_the_configured_directories_in_order_then_the_loader_path()
    {
        var options = new CudaLibraryOptions { SearchDirectories = ["/a", "/b"] };
        var resolver = new NativeLibraryResolver(options, _ => 0);

        Assert.Equal(["/a/libnvrtc.so.13", "/b/libnvrtc.so.13", "libnvrtc.so.13"], resolver.Candidates(CudaLibrary.Nvrtc));
    }

    [Fact]
    public void An_explicit_override_is_the_only_candidate()
    {
        var options = new CudaLibraryOptions { Overrides = new Dictionary<CudaLibrary, string> { [CudaLibrary.Nccl] = "/opt/nccl/libnccl.so.2" } };
        var resolver = new NativeLibraryResolver(options, _ => 0);

        Assert.Equal(["/opt/nccl/libnccl.so.2"], resolver.Candidates(CudaLibrary.Nccl));
    }

    [Fact]
    public void Loads_the_first_candidate_that_opens()
    {
        var tried = new List<string>();
        var options = new CudaLibraryOptions { SearchDirectories = ["/missing", "/present"] };
        var resolver = new NativeLibraryResolver(options, path =>
        {
            tried.Add(path);
            return path.StartsWith("/present", StringComparison.Ordinal) ? 42 : 0;
        });

        Assert.True(resolver.TryLoad(CudaLibrary.CublasLt, out var handle, out var error));
        Assert.Equal(42, handle);
        Assert.Equal("", error);
        Assert.Equal(["/missing/libcublasLt.so.13", "/present/libcublasLt.so.13"], tried);
    }

    [Fact]
    public void A_missing_library_error_names_every_path_tried_and_the_override_variable()
    {
        var resolver = new NativeLibraryResolver(new CudaLibraryOptions { SearchDirectories = ["/x"] }, _ => 0);

        Assert.False(resolver.TryLoad(CudaLibrary.Driver, out _, out var error));
        Assert.Contains("/x/libcuda.so.1", error, StringComparison.Ordinal);
        Assert.Contains("LLMSERVE_LIBCUDA", error, StringComparison.Ordinal);
        var thrown = Assert.Throws<CudaException>(() => resolver.Load(CudaLibrary.Driver));
        Assert.Equal(error, thrown.Message);
    }

    [Fact]
    public void Environment_overrides_are_read_per_library_and_the_directory_goes_first()
    {
        var env = new Dictionary<string, string>
        {
            ["LLMSERVE_LIBCUBLASLT"] = "/custom/libcublasLt.so",
            ["LLMSERVE_CUDA_LIB_DIR"] = "/cuda-13/lib64",
        };

        var options = CudaLibraryOptions.FromEnvironment(name => env.GetValueOrDefault(name));

        Assert.Equal("/custom/libcublasLt.so", options.Overrides[CudaLibrary.CublasLt]);
        Assert.False(options.Overrides.ContainsKey(CudaLibrary.Driver));
        Assert.Equal("/cuda-13/lib64", options.SearchDirectories[0]);
        Assert.Contains("/usr/local/cuda/lib64", options.SearchDirectories);
    }

    [Fact]
    public void Opening_a_gpu_without_a_driver_fails_with_a_reason_instead_of_throwing()
    {
        var options = new CudaLibraryOptions { Overrides = new Dictionary<CudaLibrary, string> { [CudaLibrary.Driver] = "/nonexistent/libcuda.so.1" } };

        Assert.False(LlmServe.Cuda.Runtime.CudaContext.TryCreate(0, options, out var context, out var error));
        Assert.Null(context);
        Assert.StartsWith("no CUDA driver", error, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/libcuda.so.1", error, StringComparison.Ordinal);
    }
}
