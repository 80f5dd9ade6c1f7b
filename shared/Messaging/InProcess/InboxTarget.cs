using LlmServe.Messaging.Requests;

namespace LlmServe.Messaging.InProcess;

/// <summary>The in-process bus's shared request inbox: replies go straight to the waiting request.</summary>
internal sealed class InboxTarget(RequestManager requests) : IMessageTarget
{
    public void Deliver(BusMessage message)
    {
        if (requests.TryTake(message.Subject.AsSpan(), out var request))
        {
            request.Complete(message);
        }
    }
}
