namespace LlmServe.Reliability.Tests.Load;

/// <summary>
/// Prints a scenario's numbers to the test output and appends them to <c>reliability-results.txt</c> next to the test
/// binaries (or to <c>LLMSERVE_RELIABILITY_RESULTS</c>), where bench scripts and docs pick them up.
/// </summary>
public static class ScenarioReport
{
    private static readonly Lock FileLock = new();

    public static string ResultsPath { get; } =
        Environment.GetEnvironmentVariable("LLMSERVE_RELIABILITY_RESULTS") is { Length: > 0 } path
            ? path
            : Path.Combine(AppContext.BaseDirectory, "reliability-results.txt");

    public static void Write(string scenario, string line)
    {
        string text = $"{DateTime.UtcNow:O} [{scenario}] {line}";
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        Console.WriteLine(text);
        lock (FileLock)
        {
            File.AppendAllText(ResultsPath, text + Environment.NewLine);
        }
    }
}
