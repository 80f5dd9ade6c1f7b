using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Messaging;
using LlmServe.TestSupport;
using LlmServe.Tokenizer;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmServe.Tokenizer.Tests;

/// <summary>The tokenizer's side of per-hop timing, through its request handler on an <see cref="InProcessBus"/>.</summary>
public sealed class TokenizerTimingTests
{
    private static readonly ModelTokenizer Model = ModelTokenizer.Load(PipelineCluster.SharedModelDirectory());

    private static async Task<ScheduleRequest> ForwardAsync(bool timed)
    {
        await using var bus = new InProcessBus(new InProcessBusOptions());
        await using var schedule = await bus.SubscribeAsync(Subjects.Schedule("m"), cancellationToken: TestContext.Current.CancellationToken);
        var handler = new TokenizeRequestHandler(new PromptEncoder(Model), bus, "m", NullLogger.Instance);
        var request = new TokenizeRequest
        {
            Context = new RequestContext { RequestId = "r1", Timing = timed },
            Model = "m",
            Prompt = "The fox and the crow.",
            ReplySubject = "_LLM_REPLY.test.r1",
            Sampling = new SamplingParams { MaxTokens = 4 },
        };
        await handler.HandleTokenizeAsync(new BusMessage(Subjects.Tokenize("m"), null, null, request.ToByteArray()), TestContext.Current.CancellationToken);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var message in schedule.ReadAllAsync(wait.Token))
        {
            return ScheduleRequest.Parser.ParseFrom(message.Payload.Span);
        }
        throw new InvalidOperationException("no schedule request");
    }

    [Fact]
    public async Task A_timed_request_reaches_the_scheduler_with_the_tokenizers_receive_and_publish_stamps()
    {
        long before = UnixMicros.Now();
        ScheduleRequest forwarded = await ForwardAsync(timed: true);
        long after = UnixMicros.Now();

        Assert.True(forwarded.Context.Timing);
        Assert.InRange(forwarded.Timing.TokenizerReceivedUs, before, forwarded.Timing.TokenizerPublishedUs);
        Assert.InRange(forwarded.Timing.TokenizerPublishedUs, forwarded.Timing.TokenizerReceivedUs, after);
        Assert.Equal(0, forwarded.Timing.SchedulerReceivedUs);
    }

    [Fact]
    public async Task An_untimed_request_reaches_the_scheduler_without_stamps()
    {
        ScheduleRequest forwarded = await ForwardAsync(timed: false);

        Assert.False(forwarded.Context.Timing);
        Assert.Null(forwarded.Timing);
        Assert.NotEmpty(forwarded.PromptTokenIds);
    }
}
