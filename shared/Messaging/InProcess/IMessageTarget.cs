namespace LlmServe.Messaging.InProcess;

/// <summary>Something the in-process bus can hand a message to: a subscription, or the request inbox.</summary>
internal interface IMessageTarget
{
    void Deliver(BusMessage message);
}
