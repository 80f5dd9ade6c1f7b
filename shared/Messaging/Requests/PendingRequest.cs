namespace LlmServe.Messaging.Requests;

/// <summary>One in-flight request: completed by the first reply on its inbox token.</summary>
internal sealed class PendingRequest(string subject, long token, string replyTo)
    : TaskCompletionSource<BusMessage>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public const int NoRespondersStatus = 503;

    public string Subject { get; } = subject;

    public long Token { get; } = token;

    public string ReplyTo { get; } = replyTo;

    /// <summary>Completes with the reply, or fails with <see cref="NoRespondersException"/> for a 503 status.</summary>
    public void Complete(BusMessage reply)
    {
        if (reply.Headers is { StatusCode: NoRespondersStatus } && reply.Payload.IsEmpty)
        {
            TrySetException(new NoRespondersException(Subject));
            return;
        }

        TrySetResult(reply);
    }
}
