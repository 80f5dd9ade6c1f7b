namespace LlmServe.Messaging;

public enum BusConnectionState
{
    Disconnected,
    Connecting,
    Connected,
    Reconnecting,
    Draining,
    Closed,
}
