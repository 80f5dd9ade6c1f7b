using System.Text.RegularExpressions;
using LlmServe.Cuda.Compilation;

namespace LlmServe.Cuda.Tests.Compilation;

/// <summary>
/// Every kernel is launched programmatically on sm_90+ (it may start while the previous kernel still runs), which is
/// only correct when the kernel waits for that kernel itself. These checks read the embedded sources: each kernel,
/// or the *_impl function it forwards to, waits on the grid dependency, and does so before any early return (a CTA
/// that exits without waiting would let the next kernel overtake the previous one).
/// </summary>
public partial class ProgrammaticLaunchSourceTests
{
    // The main module and the optional wgmma prefill module: every kernel of both.
    private static readonly string Source = KernelSources.Combined() + "\n" + KernelSources.HopperPrefill();

    public static TheoryData<string> Kernels() => new(KernelNames());

    [Fact]
    public void The_kernel_headers_are_found_including_macro_generated_ones()
    {
        var names = KernelNames();

        Assert.Contains("embedding_gather", names);
        Assert.Contains("NAME", names);   // GEMV_KERNEL / PREFILL_KERNEL bodies
        Assert.Contains("decode_attention_d##D##_g##G", names);
        Assert.True(names.Count >= 16, $"only {names.Count} kernel headers found");
    }

    private static List<string> KernelNames() =>
        [.. KernelHeader().Matches(Source).Select(m => m.Groups["name"].Value).Distinct()];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Each_kernel_waits_for_the_previous_grid_before_any_return(string kernel)
    {
        foreach (var header in KernelHeader().Matches(Source).Where(m => m.Groups["name"].Value == kernel))
        {
            CheckWaitsFirst(kernel, Body(header.Index + header.Length));
        }
    }

    private static void CheckWaitsFirst(string kernel, string body)
    {
        var impl = ImplCall().Match(body);
        if (impl.Success)
        {
            var decl = new Regex(@"__device__[^;{]*\b" + Regex.Escape(impl.Groups["impl"].Value) + @"\s*\(").Match(Source);
            Assert.True(decl.Success, $"{kernel} forwards to {impl.Groups["impl"].Value}, which is not in the sources");
            body = Body(decl.Index + decl.Length);
        }

        int wait = FirstOf(body, "dependent_launch_entry()", "grid_dependency_wait()");
        Assert.True(wait >= 0, $"{kernel} never waits for the previous grid");
        int ret = Regex.Match(body, @"\breturn\b").Index;
        Assert.True(!Regex.IsMatch(body, @"\breturn\b") || wait < ret, $"{kernel} can return before waiting for the previous grid");
    }

    private static int FirstOf(string text, params string[] needles) =>
        needles.Select(n => text.IndexOf(n, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();

    // The brace-delimited body that follows position `from`.
    private static string Body(int from)
    {
        int open = Source.IndexOf('{', from);
        int depth = 0;
        for (int i = open; i < Source.Length; i++)
        {
            depth += Source[i] == '{' ? 1 : Source[i] == '}' ? -1 : 0;
            if (depth == 0)
            {
                return Source[open..(i + 1)];
            }
        }

        throw new InvalidOperationException("unbalanced braces in the kernel sources");
    }

    // `extern "C" __global__ void [__launch_bounds__(..)] name(` including macro-generated ones (`NAME##D(`).
    [GeneratedRegex(@"extern ""C"" __global__ void (?:__launch_bounds__\([^)]*\) )?(?<name>[A-Za-z_][A-Za-z0-9_#]*)\(")]
    private static partial Regex KernelHeader();

    [GeneratedRegex(@"\b(?<impl>[a-z_0-9]+_impl)\s*<")]
    private static partial Regex ImplCall();
}
