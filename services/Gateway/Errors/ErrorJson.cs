using System.Text.Json;

namespace LlmServe.Gateway.Errors;

/// <summary>Writes the OpenAI error object; shared by HTTP error bodies and in-stream SSE error events.</summary>
public static class ErrorJson
{
    public static void Write(Utf8JsonWriter writer, ApiError error)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(error);
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, error.Message);
        writer.WriteString("type"u8, error.Type);
        if (error.Param is null)
        {
            writer.WriteNull("param"u8);
        }
        else
        {
            writer.WriteString("param"u8, error.Param);
        }
        writer.WriteString("code"u8, error.Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
