using System.Buffers;
using System.Text;
using LlmServe.Messaging.Protocol;
using LlmServe.Messaging.Requests;
using LlmServe.Messaging.Subscriptions;
using Microsoft.Extensions.Logging;

namespace LlmServe.Messaging.Connection;

/// <summary>
/// Routes parsed MSG/HMSG to their subscription (or to a waiting request when it arrives on the inbox),
/// and tracks what INFO and -ERR say. Runs on the reader loop, so it never blocks.
/// </summary>
internal sealed class InboundDispatcher(SubscriptionManager subscriptions, RequestManager requests, ILogger logger)
{
    private volatile ServerInfo? serverInfo;

    public ServerInfo? ServerInfo
    {
        get => serverInfo;
        set => serverInfo = value;
    }

    /// <summary>The last -ERR text, used to explain why the server then closed the connection.</summary>
    public string? LastError { get; private set; }

    public void OnMessage(scoped in ServerOp op)
    {
        if (op.Sid == SubscriptionManager.InboxSid)
        {
            if (requests.TryTake(op.Subject, out var request))
            {
                request.Complete(CreateMessage(Encoding.UTF8.GetString(op.Subject), op));
            }

            return;
        }

        // A message for a sid already unsubscribed can still be on the wire; it has nobody to go to.
        if (subscriptions.TryGet(op.Sid, out var subscription))
        {
            subscription.Deliver(CreateMessage(subscription.SubjectFromWire(op.Subject), op));
        }
    }

    public void OnInfo(ServerInfo info)
    {
        ServerInfo = info;
        if (info.LameDuckMode)
        {
            MessagingLog.LameDuckMode(logger);
        }
    }

    public void OnError(string error)
    {
        LastError = error;
        MessagingLog.ServerError(logger, error);
    }

    public void ClearError() => LastError = null;

    private static BusMessage CreateMessage(string subject, scoped in ServerOp op) =>
        new(subject,
            op.ReplyTo.IsEmpty ? null : Encoding.UTF8.GetString(op.ReplyTo),
            op.Kind == ServerOpKind.HMsg ? HeaderParser.Parse(op.Headers) : null,
            op.Payload.IsEmpty ? ReadOnlyMemory<byte>.Empty : op.Payload.ToArray());
}
