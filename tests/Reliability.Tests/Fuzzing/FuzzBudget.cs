using System.Globalization;

namespace LlmServe.Reliability.Tests.Fuzzing;

/// <summary>
/// How many cases each fuzz target runs, and from which seed: a few hundred in CI; <c>LLMSERVE_FUZZ_CASES</c> raises it
/// (bench/fuzz/run.sh runs 10,000), <c>LLMSERVE_FUZZ_SEED</c> replays another seed. Failures name the seed and case.
/// </summary>
public static class FuzzBudget
{
    public static int Cases { get; } = Read("LLMSERVE_FUZZ_CASES", 300);

    public static int Seed { get; } = Read("LLMSERVE_FUZZ_SEED", 20261125);

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0
            ? value
            : fallback;
}
