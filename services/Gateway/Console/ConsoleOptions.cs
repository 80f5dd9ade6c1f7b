namespace LlmServe.Gateway.Console;

/// <summary>The web console (<c>Gateway:Console</c>, part of <see cref="Configuration.GatewayOptions"/>): the page at <c>/</c> and its stats endpoint.</summary>
public sealed class ConsoleOptions
{
    /// <summary>Serve the console page, its assets and <c>/console/api/stats</c>. On by default.</summary>
    public bool Enabled { get; set; } = true;
}
