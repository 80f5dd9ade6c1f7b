namespace LlmServe.Gateway.Console;

/// <summary>One embedded console file: its bytes, content type and strong ETag.</summary>
internal sealed record ConsoleAsset(string Name, byte[] Content, string ContentType, string ETag);
