using System.Security.Cryptography;
using System.Text;

namespace LlmServe.Cuda.Compilation;

/// <summary>
/// The disk-cache key of a compiled module: a SHA-256 over everything that changes the CUBIN (source, options,
/// target arch, compiler version). Any change gives a new file, so a stale CUBIN is never loaded.
/// </summary>
public static class KernelCacheKey
{
    public static string Compute(string source, IReadOnlyList<string> options, string arch, string compilerVersion)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var text = new StringBuilder();
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        Append(text, source);
        text.Append(options.Count).Append(';');
        foreach (var option in options)
        {
            Append(text, option);
        }

        Append(text, arch);
        Append(text, compilerVersion);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static void Append(StringBuilder text, string part) => text.Append(part.Length).Append(':').Append(part);
}
