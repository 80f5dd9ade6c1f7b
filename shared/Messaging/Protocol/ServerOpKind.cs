namespace LlmServe.Messaging.Protocol;

/// <summary>The operations a NATS server sends to a client.</summary>
internal enum ServerOpKind
{
    Info,
    Msg,
    HMsg,
    Ping,
    Pong,
    Ok,
    Err,
}
