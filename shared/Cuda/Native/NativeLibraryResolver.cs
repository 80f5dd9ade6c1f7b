using System.Runtime.InteropServices;

namespace LlmServe.Cuda.Native;

/// <summary>
/// Finds and loads the CUDA libraries: an explicit override first, then the search directories, then the
/// loader's own path (LD_LIBRARY_PATH, ldconfig). A failure lists every place tried.
/// </summary>
public sealed class NativeLibraryResolver
{
    private readonly CudaLibraryOptions _options;
    private readonly Func<string, nint> _tryLoad;

    public NativeLibraryResolver(CudaLibraryOptions options)
        : this(options, static path => NativeLibrary.TryLoad(path, out var handle) ? handle : 0)
    {
    }

    /// <summary>Takes the load function so that the search order can be tested without the libraries.</summary>
    internal NativeLibraryResolver(CudaLibraryOptions options, Func<string, nint> tryLoad)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _tryLoad = tryLoad;
    }

    /// <summary>The paths tried for <paramref name="library"/>, in order.</summary>
    public IReadOnlyList<string> Candidates(CudaLibrary library)
    {
        var candidates = new List<string>();
        if (_options.Overrides.TryGetValue(library, out var explicitPath))
        {
            // An explicit path is the user's intent: it is the only candidate, so a typo fails loudly.
            candidates.Add(explicitPath);
            return candidates;
        }

        var file = CudaLibraryOptions.DefaultFileName(library);
        foreach (var dir in _options.SearchDirectories)
        {
            candidates.Add(Path.Combine(dir, file));
        }

        candidates.Add(file);
        return candidates;
    }

    /// <summary>Loads the library or returns false with an error that names every path tried.</summary>
    public bool TryLoad(CudaLibrary library, out nint handle, out string error)
    {
        var candidates = Candidates(library);
        foreach (var candidate in candidates)
        {
            handle = _tryLoad(candidate);
            if (handle != 0)
            {
                error = "";
                return true;
            }
        }

        handle = 0;
        error = $"could not load {CudaLibraryOptions.DefaultFileName(library)}; tried {string.Join(", ", candidates)}. " +
                $"Set {CudaLibraryOptions.OverrideVariable(library)} to its path or {CudaLibraryOptions.LibraryDirectoryVariable} to its directory.";
        return false;
    }

    /// <summary>Loads the library or throws <see cref="CudaException"/>.</summary>
    public nint Load(CudaLibrary library) =>
        TryLoad(library, out var handle, out var error) ? handle : throw new CudaException(error);
}
