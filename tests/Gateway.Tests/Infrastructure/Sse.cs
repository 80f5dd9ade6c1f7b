using System.Text.Json;

namespace LlmServe.Gateway.Tests.Infrastructure;

/// <summary>Splits an SSE body into its <c>data:</c> payloads, checking OpenAI's framing on the way.</summary>
public static class Sse
{
    public static IReadOnlyList<string> Events(string body)
    {
        Assert.EndsWith("\n\n", body);
        var events = new List<string>();
        foreach (string block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.StartsWith("data: ", block);
            Assert.DoesNotContain('\n', block);
            events.Add(block["data: ".Length..]);
        }
        return events;
    }

    /// <summary>The JSON events before the final [DONE] (which must be last).</summary>
    public static IReadOnlyList<JsonElement> Json(string body)
    {
        var events = Events(body);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Single(events, e => e == "[DONE]");
        return events.Take(events.Count - 1).Select(e => JsonDocument.Parse(e).RootElement.Clone()).ToList();
    }
}
