using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;

namespace LlmServe.Gateway.Tests.Infrastructure;

/// <summary>
/// Stands in for tokenizer + scheduler + detokenizer on the bus: takes TokenizeRequests from the tokenizers'
/// queue group and answers each with a scripted stream of ResponseChunks on its reply subject; answers
/// tokenize-only and detokenize requests; records cancels.
/// </summary>
public sealed class FakePipeline : IAsyncDisposable
{
    /// <summary>Sends the chunks of one request. <c>send</c> fills in context and sequence.</summary>
    public delegate Task Script(TokenizeRequest request, Func<ResponseChunk, Task> send, CancellationToken cancellationToken);

    public static readonly string[] Words = ["Hello", " world", "!"];

    private readonly IMessageBus _bus;
    private readonly List<IBusSubscription> _subscriptions = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<CancelRequest> _cancels = Channel.CreateUnbounded<CancelRequest>();

    private FakePipeline(IMessageBus bus) => _bus = bus;

    /// <summary>How the next generations are answered; <see cref="DefaultScript"/> unless a test changes it.</summary>
    public Script Respond { get; set; } = DefaultScript;

    public ConcurrentQueue<TokenizeRequest> Requests { get; } = new();

    public ConcurrentQueue<(string Subject, string? ReplyTo)> Envelopes { get; } = new();

    public static async Task<FakePipeline> StartAsync(IMessageBus bus, string model)
    {
        var pipeline = new FakePipeline(bus);
        var tokenize = await bus.SubscribeAsync(Subjects.Tokenize(model), Subjects.TokenizerQueue);
        var detokenize = await bus.SubscribeAsync(Subjects.Detokenize(model), Subjects.TokenizerQueue);
        var cancel = await bus.SubscribeAsync(Subjects.Cancel(model));
        pipeline._subscriptions.AddRange([tokenize, detokenize, cancel]);
        pipeline._loops.Add(pipeline.ServeTokenizeAsync(tokenize));
        pipeline._loops.Add(pipeline.ServeDetokenizeAsync(detokenize));
        pipeline._loops.Add(pipeline.RecordCancelsAsync(cancel));
        // Over NATS the subscriptions must reach the server before the gateway publishes.
        await bus.FlushAsync();
        return pipeline;
    }

    /// <summary>The next cancel the gateway published, or null after <paramref name="timeout"/>.</summary>
    public async Task<CancelRequest?> NextCancelAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _cancels.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public int PendingCancels => _cancels.Reader.Count;

    /// <summary>Three words per choice, the last with finish_reason stop, then a done chunk with usage.</summary>
    public static async Task DefaultScript(TokenizeRequest request, Func<ResponseChunk, Task> send, CancellationToken cancellationToken)
    {
        int n = Math.Max(1, request.N);
        for (int step = 0; step < Words.Length; step++)
        {
            var chunk = new ResponseChunk();
            for (int i = 0; i < n; i++)
            {
                chunk.Choices.Add(Choice(request, i, step, step == Words.Length - 1 ? FinishReason.Stop : FinishReason.None));
            }
            await send(chunk);
        }
        await send(new ResponseChunk
        {
            Usage = new Usage { PromptTokens = 5, CompletionTokens = Words.Length * n, CachedPromptTokens = 2 },
            Done = true,
        });
    }

    /// <summary>Choice <paramref name="index"/>'s word number <paramref name="step"/>, with logprobs when asked.</summary>
    public static ChoiceText Choice(TokenizeRequest request, int index, int step, FinishReason finish)
    {
        int tokenId = 100 + step;
        var choice = new ChoiceText { Index = index, Text = Words[step], FinishReason = finish };
        choice.TokenIds.Add(tokenId);
        if (request.Sampling?.Logprobs == true)
        {
            var logprob = new TokenLogprob { TokenId = tokenId, Logprob = -0.25f * (step + 1) };
            logprob.Top.Add(new TopLogprob { TokenId = tokenId, Logprob = logprob.Logprob });
            for (int k = 1; k < Math.Max(1, request.Sampling.TopLogprobs); k++)
            {
                logprob.Top.Add(new TopLogprob { TokenId = 900 + k, Logprob = -3f - k });
            }
            choice.Logprobs.Add(logprob);
            choice.LogprobTokens.Add(Words[step]);
        }
        return choice;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var subscription in _subscriptions)
        {
            await subscription.DisposeAsync();
        }
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private async Task ServeTokenizeAsync(IBusSubscription subscription)
    {
        await foreach (var message in subscription.ReadAllAsync(_stop.Token))
        {
            var request = TokenizeRequest.Parser.ParseFrom(message.Payload.Span);
            Envelopes.Enqueue((message.Subject, message.ReplyTo));
            if (request.Kind == RequestKind.TokenizeOnly)
            {
                var result = new TokenizeResult { Context = request.Context, MaxModelLen = 4096 };
                string text = request.InputCase == TokenizeRequest.InputOneofCase.Prompt
                    ? request.Prompt
                    : string.Join("\n", request.Chat.Messages.Select(m => m.Role + ":" + m.Content));
                result.Tokens.AddRange(text.Select(c => (int)c));
                await _bus.PublishAsync(message.ReplyTo!, result.ToByteArray());
                continue;
            }
            Requests.Enqueue(request);
            if (message.ReplyTo is { } ack && ack != request.ReplySubject)
            {
                // Acknowledge like the tokenizer does once the request is forwarded; the gateway retries otherwise.
                await _bus.PublishAsync(ack, new ResponseChunk { Context = request.Context }.ToByteArray());
            }
            var script = Respond;
            _ = Task.Run(async () =>
            {
                ulong sequence = 0;
                try
                {
                    await script(request, async chunk =>
                    {
                        chunk.Context = request.Context;
                        chunk.Sequence = ++sequence;
                        await _bus.PublishAsync(request.ReplySubject, chunk.ToByteArray());
                    }, _stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or BusClosedException)
                {
                }
            });
        }
    }

    private async Task ServeDetokenizeAsync(IBusSubscription subscription)
    {
        await foreach (var message in subscription.ReadAllAsync(_stop.Token))
        {
            var request = DetokenizeRequest.Parser.ParseFrom(message.Payload.Span);
            var result = new DetokenizeResult { Context = request.Context, Text = string.Concat(request.Tokens.Select(t => (char)t)) };
            await _bus.PublishAsync(message.ReplyTo!, result.ToByteArray());
        }
    }

    private async Task RecordCancelsAsync(IBusSubscription subscription)
    {
        await foreach (var message in subscription.ReadAllAsync(_stop.Token))
        {
            await _cancels.Writer.WriteAsync(CancelRequest.Parser.ParseFrom(message.Payload.Span));
        }
    }
}
