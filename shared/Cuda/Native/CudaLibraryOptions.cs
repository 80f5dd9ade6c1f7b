namespace LlmServe.Cuda.Native;

/// <summary>
/// Where to look for the CUDA libraries. Defaults fit a CUDA 13 install; every path can be overridden by
/// configuration or by environment variables (<see cref="FromEnvironment"/>).
/// </summary>
public sealed record CudaLibraryOptions
{
    /// <summary>Environment variable naming a directory searched first for every library.</summary>
    public const string LibraryDirectoryVariable = "LLMSERVE_CUDA_LIB_DIR";

    /// <summary>Explicit file path or file name per library; null means the default file name.</summary>
    public IReadOnlyDictionary<CudaLibrary, string> Overrides { get; init; } = new Dictionary<CudaLibrary, string>();

    /// <summary>Directories searched, in order, before the loader's own path.</summary>
    public IReadOnlyList<string> SearchDirectories { get; init; } = ["/usr/local/cuda/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64"];

    /// <summary>The environment variable that overrides one library's path, e.g. <c>LLMSERVE_LIBNVRTC</c>.</summary>
    public static string OverrideVariable(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => "LLMSERVE_LIBCUDA",
        CudaLibrary.CublasLt => "LLMSERVE_LIBCUBLASLT",
        CudaLibrary.Nvrtc => "LLMSERVE_LIBNVRTC",
        CudaLibrary.Nccl => "LLMSERVE_LIBNCCL",
        _ => throw new ArgumentOutOfRangeException(nameof(library)),
    };

    /// <summary>The default file name of each library on Linux.</summary>
    public static string DefaultFileName(CudaLibrary library) => library switch
    {
        CudaLibrary.Driver => "libcuda.so.1",
        CudaLibrary.CublasLt => "libcublasLt.so.13",
        CudaLibrary.Nvrtc => "libnvrtc.so.13",
        CudaLibrary.Nccl => "libnccl.so.2",
        _ => throw new ArgumentOutOfRangeException(nameof(library)),
    };

    /// <summary>Defaults, with the per-library and directory overrides read from <paramref name="environment"/>.</summary>
    public static CudaLibraryOptions FromEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var overrides = new Dictionary<CudaLibrary, string>();
        foreach (var library in Enum.GetValues<CudaLibrary>())
        {
            var value = environment(OverrideVariable(library));
            if (!string.IsNullOrWhiteSpace(value))
            {
                overrides[library] = value;
            }
        }

        var defaults = new CudaLibraryOptions();
        var dir = environment(LibraryDirectoryVariable);
        var dirs = string.IsNullOrWhiteSpace(dir) ? defaults.SearchDirectories : [dir, .. defaults.SearchDirectories];
        return new CudaLibraryOptions { Overrides = overrides, SearchDirectories = dirs };
    }

    /// <summary>Defaults with overrides from the process environment.</summary>
    public static CudaLibraryOptions FromProcessEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);
}
