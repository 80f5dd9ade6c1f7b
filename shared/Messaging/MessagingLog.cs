using Microsoft.Extensions.Logging;

namespace LlmServe.Messaging;

/// <summary>Every log line the messaging library writes, as source-generated (allocation-free) logger calls.</summary>
internal static partial class MessagingLog
{
    [LoggerMessage(1, LogLevel.Warning, "Slow consumer on '{Subject}': {Dropped} messages dropped so far (channel capacity {Capacity})")]
    public static partial void SlowConsumer(ILogger logger, string subject, long dropped, int capacity);

    [LoggerMessage(2, LogLevel.Information, "Connected to {Server} (server {ServerName} {Version}, max_payload {MaxPayload})")]
    public static partial void Connected(ILogger logger, string server, string? serverName, string? version, int maxPayload);

    [LoggerMessage(3, LogLevel.Warning, "Disconnected from {Server}: {Reason}")]
    public static partial void Disconnected(ILogger logger, string server, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Reconnect attempt {Attempt} failed: {Reason}")]
    public static partial void ReconnectFailed(ILogger logger, int attempt, string reason);

    [LoggerMessage(5, LogLevel.Error, "Giving up reconnecting; the bus is closed")]
    public static partial void GaveUp(ILogger logger, Exception reason);

    [LoggerMessage(6, LogLevel.Warning, "Server error: {Error}")]
    public static partial void ServerError(ILogger logger, string error);

    [LoggerMessage(7, LogLevel.Information, "Server entered lame duck mode; it will close connections soon")]
    public static partial void LameDuckMode(ILogger logger);

    [LoggerMessage(8, LogLevel.Warning, "A StateChanged handler threw")]
    public static partial void StateHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "Drain did not finish within its timeout; closing anyway")]
    public static partial void DrainTimedOut(ILogger logger);

    [LoggerMessage(10, LogLevel.Warning, "No NATS server reachable at {Servers} yet ({Reason}); retrying in {DelayMs:0} ms")]
    public static partial void InitialConnectRetry(ILogger logger, string servers, string reason, double delayMs);
}
