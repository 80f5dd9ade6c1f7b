using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;

namespace LlmServe.EndToEnd.Tests;

/// <summary>Talks to the pipeline on the bus directly (as the gateway does), to check scheduling without HTTP.</summary>
internal sealed class BusGenerationClient(IMessageBus bus, string model)
{
    public sealed record Outcome(string RequestId, IReadOnlyList<int> TokenIds, string Text, Error? Error, Usage? Usage, FinishReason FinishReason);

    /// <summary>Sends one greedy request for prompt token ids; returns what came back on its reply subject.</summary>
    public async Task<Outcome> GenerateAsync(IReadOnlyList<int> promptIds, int maxTokens, TimeSpan timeout,
        Action<string>? onFirstToken = null, CancellationToken cancellationToken = default)
    {
        string requestId = "req-" + Guid.NewGuid().ToString("N");
        string reply = Subjects.NewReplySubject("e2e");
        await using var subscription = await bus.SubscribeAsync(reply, cancellationToken: cancellationToken);
        await bus.FlushAsync(cancellationToken);
        var request = new TokenizeRequest
        {
            Context = new RequestContext { RequestId = requestId },
            Model = model,
            PromptTokenIds = new TokenIds(),
            Sampling = new SamplingParams { Temperature = 0, TopP = 1, RepetitionPenalty = 1, MaxTokens = maxTokens, IgnoreEos = true },
            Detokenize = new DetokenizeParams { SkipSpecialTokens = true },
            N = 1,
            ReplySubject = reply,
        };
        request.PromptTokenIds.Ids.Add(promptIds);
        await bus.PublishAsync(Subjects.Tokenize(model), request.ToByteArray(), cancellationToken: cancellationToken);

        var ids = new List<int>();
        var text = new System.Text.StringBuilder();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var finish = FinishReason.None;
        try
        {
            await foreach (var message in subscription.ReadAllAsync(deadline.Token))
            {
                var chunk = ResponseChunk.Parser.ParseFrom(message.Payload.Span);
                foreach (var choice in chunk.Choices)
                {
                    if (ids.Count == 0 && choice.TokenIds.Count > 0)
                    {
                        onFirstToken?.Invoke(requestId);
                    }
                    ids.AddRange(choice.TokenIds);
                    text.Append(choice.Text);
                    if (choice.FinishReason != FinishReason.None)
                    {
                        finish = choice.FinishReason;
                    }
                }
                if (chunk.Error is not null || chunk.Done)
                {
                    return new Outcome(requestId, ids, text.ToString(), chunk.Error, chunk.Usage, finish);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"request {requestId} hung: no final chunk within {timeout} ({ids.Count} tokens so far)");
        }
        throw new InvalidOperationException($"request {requestId}: reply subscription ended early");
    }

    public async Task CancelAsync(string requestId)
    {
        var cancel = new CancelRequest { Context = new RequestContext { RequestId = requestId }, Reason = CancelReason.ClientGone, ChoiceIndex = -1 };
        await bus.PublishAsync(Subjects.Cancel(model), cancel.ToByteArray());
    }

    /// <summary>The next scheduler status for the model that satisfies <paramref name="condition"/>.</summary>
    public async Task<SchedulerStatus> WaitForStatusAsync(Func<SchedulerStatus, bool> condition, TimeSpan timeout)
    {
        await using var subscription = await bus.SubscribeAsync(Subjects.Status(model));
        using var deadline = new CancellationTokenSource(timeout);
        SchedulerStatus? last = null;
        try
        {
            await foreach (var message in subscription.ReadAllAsync(deadline.Token))
            {
                last = SchedulerStatus.Parser.ParseFrom(message.Payload.Span);
                if (condition(last))
                {
                    return last;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new TimeoutException($"no matching scheduler status within {timeout}; last: {last}");
    }
}
