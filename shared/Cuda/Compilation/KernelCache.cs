namespace LlmServe.Cuda.Compilation;

/// <summary>CUBINs on disk by <see cref="KernelCacheKey"/>: the second start-up skips NVRTC.</summary>
public sealed class KernelCache
{
    public KernelCache(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>$LLMSERVE_CACHE/cuda-kernels, else ~/.cache/llmserve/cuda-kernels.</summary>
    public static KernelCache Default()
    {
        var root = Environment.GetEnvironmentVariable("LLMSERVE_CACHE");
        if (string.IsNullOrWhiteSpace(root))
        {
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "llmserve");
        }

        return new KernelCache(Path.Combine(root, "cuda-kernels"));
    }

    public string PathFor(string key) => Path.Combine(Directory, key + ".cubin");

    public bool TryRead(string key, out byte[] image)
    {
        var path = PathFor(key);
        try
        {
            image = File.Exists(path) ? File.ReadAllBytes(path) : [];
        }
        catch (IOException)
        {
            image = [];
        }

        return image.Length > 0;
    }

    /// <summary>Writes through a temporary file and a rename, so a reader never sees half a CUBIN.</summary>
    public void Write(string key, ReadOnlySpan<byte> image)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathFor(key);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        using (var file = File.Create(temp))
        {
            file.Write(image);
        }

        File.Move(temp, path, overwrite: true);
    }
}
