using System.Text.Json;

namespace LlmServe.Messaging.Protocol;

/// <summary>Turns the INFO JSON into <see cref="ServerInfo"/>, mapping bad JSON to a protocol error.</summary>
internal static class ServerInfoParser
{
    public static ServerInfo Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ProtocolJsonContext.Default.ServerInfo)
                ?? throw new BusProtocolException("INFO carries a null JSON value.");
        }
        catch (JsonException exception)
        {
            throw new BusProtocolException("INFO carries invalid JSON.", exception);
        }
    }
}
