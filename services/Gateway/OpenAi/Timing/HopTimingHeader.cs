using Microsoft.AspNetCore.Http;

namespace LlmServe.Gateway.OpenAi.Timing;

/// <summary>The opt-in request header for a per-hop timing breakdown (<c>x-llmserve-timing: 1</c>).</summary>
internal static class HopTimingHeader
{
    public const string Name = "x-llmserve-timing";

    /// <summary>True for <c>1</c> or <c>true</c> (any case); anything else, or no header, leaves timing off.</summary>
    public static bool IsRequested(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Headers.TryGetValue(Name, out var values) || values.Count == 0)
        {
            return false;
        }
        string? value = values[0]?.Trim();
        return value == "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
    }
}
