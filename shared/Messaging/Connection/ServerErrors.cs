namespace LlmServe.Messaging.Connection;

/// <summary>Classifies -ERR texts: which close the connection, and which exception they become.</summary>
internal static class ServerErrors
{
    public static bool IsAuthorization(string error) =>
        error.Contains("Authorization", StringComparison.OrdinalIgnoreCase)
        || error.Contains("Authentication", StringComparison.OrdinalIgnoreCase)
        || error.Contains("User Authentication Expired", StringComparison.OrdinalIgnoreCase);

    /// <summary>Errors after which the server keeps the connection open (the offending operation is just refused).</summary>
    public static bool IsRecoverable(string error) =>
        error.StartsWith("Permissions Violation", StringComparison.OrdinalIgnoreCase)
        || error.StartsWith("Invalid Subject", StringComparison.OrdinalIgnoreCase);

    public static BusConnectionException ToException(string error, NatsServerAddress address) =>
        IsAuthorization(error)
            ? new BusAuthorizationException($"{address} refused the credentials: {error}")
            : new BusConnectionException($"{address} refused the connection: {error}");
}
