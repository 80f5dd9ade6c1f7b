namespace LlmServe.Messaging.Protocol;

/// <summary>What CONNECT authenticates with: a token, or a user and password (from the URL or the options).</summary>
internal readonly record struct ConnectCredentials(string? User, string? Password, string? Token);
