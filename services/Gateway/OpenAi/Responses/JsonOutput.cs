using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>
/// How every response body is written: characters such as <c>'</c>, <c>&amp;</c>, <c>&lt;</c> and non-ASCII text
/// appear as themselves (as OpenAI writes them) instead of HTML-safe <c>\u0027</c> escapes. The bodies are
/// JSON API responses, never embedded in HTML.
/// </summary>
public static class JsonOutput
{
    public static JsonWriterOptions Options { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The same, without validation, for the streaming writer whose shapes are fixed by code.</summary>
    public static JsonWriterOptions Streaming { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
}
