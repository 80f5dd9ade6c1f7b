using System.Text.Json.Serialization;

namespace LlmServe.Messaging.Protocol;

/// <summary>Source-generated JSON metadata for INFO, so parsing needs no reflection.</summary>
[JsonSerializable(typeof(ServerInfo))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
