using System.Text;

namespace LlmServe.Cuda.Compilation;

/// <summary>
/// The embedded kernel sources, joined into one translation unit: the common header first, then every .cu
/// file in name order. One module keeps start-up to one NVRTC run and one cache file.
/// </summary>
public static class KernelSources
{
    private const string Prefix = "LlmServe.Cuda.Kernels.";

    private const string HopperPrefix = "Hopper.";

    /// <summary>Names of the embedded .cu files of the main module (the Hopper-only ones are <see cref="HopperPrefill"/>'s).</summary>
    public static IReadOnlyList<string> Files() =>
        [.. typeof(KernelSources).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".cu", StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..])
            .Where(n => !n.StartsWith(HopperPrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    /// <summary>
    /// The wgmma prefill attention's own translation unit (compiled for sm_90a only when asked for): common.cuh, the
    /// prefill attention it shares its pipeline and softmax with, and Hopper/prefill_attention_wgmma.cu.
    /// </summary>
    public static string HopperPrefill() =>
        new StringBuilder(Read("common.cuh"))
            .Append("\n// ---- prefill_attention.cu ----\n").Append(Read("prefill_attention.cu"))
            .Append("\n// ---- Hopper/prefill_attention_wgmma.cu ----\n").Append(Read(HopperPrefix + "prefill_attention_wgmma.cu"))
            .ToString();

    public static string Read(string file)
    {
        using var stream = typeof(KernelSources).Assembly.GetManifestResourceStream(Prefix + file)
            ?? throw new InvalidOperationException($"kernel source {file} is not embedded");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>common.cuh followed by every .cu file.</summary>
    public static string Combined()
    {
        var text = new StringBuilder(Read("common.cuh"));
        foreach (var file in Files())
        {
            text.Append("\n// ---- ").Append(file).Append(" ----\n").Append(Read(file));
        }

        return text.ToString();
    }
}
