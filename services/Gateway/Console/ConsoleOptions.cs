namespace LlmServe.Gateway.Console;

/// <summary>The web console (section <c>Gateway:Console</c>): the page at <c>/</c> and its stats endpoint.</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Gateway:Console";

    /// <summary>Serve the console page, its assets and <c>/console/api/stats</c>. On by default.</summary>
    public bool Enabled { get; set; } = true;
}
