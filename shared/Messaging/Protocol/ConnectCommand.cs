using System.Buffers;
using System.Text.Json;

namespace LlmServe.Messaging.Protocol;

/// <summary>
/// The CONNECT frame: verbose and pedantic off (no +OK per operation), headers and no_responders on
/// (so a request to nobody comes back as a 503 status instead of timing out).
/// </summary>
internal static class ConnectCommand
{
    public const string Language = ".NET-llmserve";

    public const string ClientVersion = "1.0.0";

    public static void Write(IBufferWriter<byte> output, ConnectCredentials credentials, string? name, bool tlsRequired)
    {
        output.Write("CONNECT "u8);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteBoolean("verbose", false);
            json.WriteBoolean("pedantic", false);
            json.WriteBoolean("tls_required", tlsRequired);
            if (name is not null)
            {
                json.WriteString("name", name);
            }

            json.WriteString("lang", Language);
            json.WriteString("version", ClientVersion);
            json.WriteNumber("protocol", 1);
            json.WriteBoolean("headers", true);
            json.WriteBoolean("no_responders", true);
            if (credentials.Token is not null)
            {
                json.WriteString("auth_token", credentials.Token);
            }

            if (credentials.User is not null)
            {
                json.WriteString("user", credentials.User);
                json.WriteString("pass", credentials.Password ?? string.Empty);
            }

            json.WriteEndObject();
        }

        output.Write("\r\n"u8);
    }
}
