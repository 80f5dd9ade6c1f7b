using LlmServe.Contracts;
using LlmServe.Detokenizer;
using LlmServe.TestSupport;
using LlmServe.Tokenization;

namespace LlmServe.Detokenizer.Tests;

/// <summary>The detokenizer's side of per-hop timing: a timed delta's stamps go on with its chunk, the detokenizer's added.</summary>
public sealed class DetokenizeTimingTests
{
    private static readonly HfTokenizer Tokenizer = HfTokenizer.LoadFromDirectory(PipelineCluster.SharedModelDirectory());
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 20, 0, 0, TimeSpan.Zero);

    private static TokenDelta Start(string id) => new()
    {
        Context = new RequestContext { RequestId = id, Timing = true },
        Start = new DetokenizeStart { ReplySubject = "reply." + id, Params = new DetokenizeParams { SkipSpecialTokens = true }, N = 1, PromptTokens = 3 },
    };

    private static TokenDelta Tokens(string id, string text, StepTiming? step, RequestTiming? request)
    {
        var delta = new TokenDelta { Context = new RequestContext { RequestId = id }, StepTiming = step, RequestTiming = request };
        var tokens = new ChoiceTokens { Index = 0 };
        tokens.TokenIds.Add(Tokenizer.Encode(text, false));
        delta.Choices.Add(tokens);
        return delta;
    }

    private static ResponseChunk Reply(List<OutgoingMessage> output) =>
        ResponseChunk.Parser.ParseFrom(Assert.Single(output, o => o.Subject.StartsWith("reply.", StringComparison.Ordinal)).Payload);

    [Fact]
    public void A_timed_chunk_carries_the_deltas_stamps_with_received_and_published_added()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m", new FixedClock(Now));
        var output = new List<OutgoingMessage>();
        processor.Handle(Start("a"), 0, output);
        var request = new RequestTiming { TokenizerReceivedUs = 10, TokenizerPublishedUs = 20, SchedulerReceivedUs = 30, SchedulerAdmittedUs = 40 };
        var step = new StepTiming { StepId = 3, PlanPublishedUs = 100, WorkerExecuteUs = 50, ResultReceivedUs = 200, DeltaPublishedUs = 300 };

        output.Clear();
        processor.Handle(Tokens("a", " fox", step.Clone(), request), 0, output, receivedUs: 400);

        var chunk = Reply(output);
        Assert.Equal(" fox", chunk.Choices.Single().Text);
        Assert.Equal(request, chunk.RequestTiming);
        var expected = step.Clone();
        expected.DetokenizerReceivedUs = 400;
        expected.DetokenizerPublishedUs = UnixMicros.From(Now);
        Assert.Equal(expected, chunk.StepTiming);
    }

    [Fact]
    public void Without_a_receive_stamp_the_clock_gives_one_and_untimed_deltas_give_chunks_without_stamps()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m", new FixedClock(Now));
        var output = new List<OutgoingMessage>();
        processor.Handle(Start("b"), 0, output);

        output.Clear();
        processor.Handle(Tokens("b", " crow", new StepTiming { StepId = 1, DeltaPublishedUs = 5 }, null), 0, output);
        Assert.Equal(UnixMicros.From(Now), Reply(output).StepTiming.DetokenizerReceivedUs);

        output.Clear();
        processor.Handle(Tokens("b", " sat", null, null), 0, output);
        var plain = Reply(output);
        Assert.Null(plain.StepTiming);
        Assert.Null(plain.RequestTiming);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
