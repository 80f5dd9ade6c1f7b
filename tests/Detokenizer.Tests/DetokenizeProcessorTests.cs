using LlmServe.Contracts;
using LlmServe.Detokenizer;
using LlmServe.TestSupport;
using LlmServe.Tokenization;

namespace LlmServe.Detokenizer.Tests;

/// <summary>The detokenizer's request state machine, on the demo model's real byte-level BPE tokenizer.</summary>
public sealed class DetokenizeProcessorTests
{
    private static readonly HfTokenizer Tokenizer = HfTokenizer.LoadFromDirectory(PipelineCluster.SharedModelDirectory());

    private static TokenDelta Start(string id, int n = 1, params string[] stops)
    {
        var parameters = new DetokenizeParams { SkipSpecialTokens = true };
        parameters.Stop.Add(stops);
        return new TokenDelta
        {
            Context = new RequestContext { RequestId = id },
            Start = new DetokenizeStart { ReplySubject = "reply." + id, Params = parameters, N = n, PromptTokens = 7 },
        };
    }

    private static TokenDelta Tokens(string id, int choice, int[] ids, FinishReason finish = FinishReason.None, bool finished = false)
    {
        var delta = new TokenDelta { Context = new RequestContext { RequestId = id }, Finished = finished };
        var tokens = new ChoiceTokens { Index = choice, FinishReason = finish };
        tokens.TokenIds.Add(ids);
        delta.Choices.Add(tokens);
        return delta;
    }

    private static List<ResponseChunk> Replies(List<OutgoingMessage> output) =>
        output.Where(o => o.Subject.StartsWith("reply.", StringComparison.Ordinal)).Select(o => ResponseChunk.Parser.ParseFrom(o.Payload)).ToList();

    [Fact]
    public void Streams_text_that_concatenates_to_the_full_decode_and_ends_with_usage()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m");
        var output = new List<OutgoingMessage>();
        int[] ids = Tokenizer.Encode("Hello, world! How are you today?", addSpecialTokens: false);
        processor.Handle(Start("a"), 0, output);
        for (int i = 0; i < ids.Length; i++)
        {
            bool last = i == ids.Length - 1;
            processor.Handle(Tokens("a", 0, [ids[i]], last ? FinishReason.Length : FinishReason.None, finished: last), 0, output);
        }

        var chunks = Replies(output);
        Assert.Equal("Hello, world! How are you today?", string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Text)));
        Assert.True(chunks[^1].Done);
        Assert.Equal(ids.Length, chunks[^1].Usage.CompletionTokens);
        Assert.Equal(7, chunks[^1].Usage.PromptTokens);
        Assert.Equal(FinishReason.Length, chunks.SelectMany(c => c.Choices).Last(c => c.FinishReason != FinishReason.None).FinishReason);
        Assert.Equal(Enumerable.Range(0, chunks.Count).Select(i => (ulong)i), chunks.Select(c => c.Sequence));
        Assert.Equal(0, processor.ActiveRequests);
    }

    [Fact]
    public void A_stop_string_split_across_tokens_ends_the_choice_cancels_it_and_hides_the_rest()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m");
        var output = new List<OutgoingMessage>();
        int[] ids = Tokenizer.Encode("The quick brown fox jumps over the lazy dog.", addSpecialTokens: false);
        processor.Handle(Start("b", 1, "fox jumps"), 0, output);
        foreach (int id in ids)
        {
            processor.Handle(Tokens("b", 0, [id]), 0, output);
        }

        var chunks = Replies(output);
        string text = string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Text));
        Assert.Equal("The quick brown ", text);
        var final = chunks.Single(c => c.Done);
        Assert.Equal(FinishReason.Stop, final.Choices.Single(c => c.FinishReason != FinishReason.None).FinishReason);
        Assert.Equal("fox jumps", final.Choices.Single(c => c.FinishReason != FinishReason.None).Stop);
        var cancel = CancelRequest.Parser.ParseFrom(output.Single(o => o.Subject == Subjects.Cancel("m")).Payload);
        Assert.Equal(CancelReason.StopString, cancel.Reason);
        Assert.Equal("b", cancel.Context.RequestId);
        Assert.Equal(0, processor.ActiveRequests);
    }

    [Fact]
    public void Each_choice_keeps_its_own_state_and_the_request_ends_when_all_have_finished()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m");
        var output = new List<OutgoingMessage>();
        processor.Handle(Start("c", n: 2), 0, output);
        processor.Handle(Tokens("c", 0, Tokenizer.Encode(" alpha", false), FinishReason.Stop), 0, output);
        Assert.Equal(1, processor.ActiveRequests);
        processor.Handle(Tokens("c", 1, Tokenizer.Encode(" beta", false), FinishReason.Length, finished: true), 0, output);

        var choices = Replies(output).SelectMany(c => c.Choices).ToList();
        Assert.Equal(" alpha", string.Concat(choices.Where(c => c.Index == 0).Select(c => c.Text)));
        Assert.Equal(" beta", string.Concat(choices.Where(c => c.Index == 1).Select(c => c.Text)));
        Assert.Equal(0, processor.ActiveRequests);
    }

    [Fact]
    public void An_error_from_the_scheduler_reaches_the_client_and_later_deltas_are_ignored()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m");
        var output = new List<OutgoingMessage>();
        processor.Handle(Start("d"), 0, output);
        processor.Handle(new TokenDelta { Context = new RequestContext { RequestId = "d" }, Error = new Error { Code = ErrorCode.WorkerFailed, Retryable = true } }, 0, output);
        processor.Handle(Tokens("d", 0, [5]), 0, output);

        var chunks = Replies(output);
        Assert.Single(chunks);
        Assert.Equal(ErrorCode.WorkerFailed, chunks[0].Error.Code);
        Assert.True(chunks[0].Done);
    }

    [Fact]
    public void Idle_requests_are_swept_with_a_timeout_error()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m");
        var output = new List<OutgoingMessage>();
        processor.Handle(Start("e"), nowMs: 1_000, output);
        processor.Sweep(cutoffMs: 500, output);
        Assert.Equal(1, processor.ActiveRequests);
        processor.Sweep(cutoffMs: 2_000, output);

        Assert.Equal(0, processor.ActiveRequests);
        Assert.Equal(ErrorCode.Timeout, Replies(output).Single().Error.Code);
    }

    [Fact]
    public void Echo_puts_the_prompt_text_before_the_first_delta()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m");
        var output = new List<OutgoingMessage>();
        var start = Start("f");
        start.Start.EchoPromptTokenIds.Add(Tokenizer.Encode("Once upon", false));
        processor.Handle(start, 0, output);
        processor.Handle(Tokens("f", 0, Tokenizer.Encode(" a time", false), FinishReason.Length, finished: true), 0, output);

        Assert.Equal("Once upon a time", string.Concat(Replies(output).SelectMany(c => c.Choices).Select(c => c.Text)));
    }

    [Fact]
    public void Logprobs_carry_the_text_of_the_token_and_of_each_alternative()
    {
        var processor = new DetokenizeProcessor(Tokenizer, "m");
        var output = new List<OutgoingMessage>();
        var start = Start("g");
        start.Start.Logprobs = true;
        processor.Handle(start, 0, output);
        int hello = Tokenizer.Encode("Hello", false)[0];
        int world = Tokenizer.Encode(" world", false)[0];
        var delta = Tokens("g", 0, [hello], FinishReason.Length, finished: true);
        var logprob = new TokenLogprob { TokenId = hello, Logprob = -0.5f };
        logprob.Top.Add(new TopLogprob { TokenId = hello, Logprob = -0.5f });
        logprob.Top.Add(new TopLogprob { TokenId = world, Logprob = -1.5f });
        delta.Choices[0].Logprobs.Add(logprob);
        processor.Handle(delta, 0, output);

        var text = Replies(output).SelectMany(c => c.Choices).Single(c => c.Logprobs.Count > 0);
        Assert.Equal(Tokenizer.Decode([hello]), text.Logprobs[0].Token);
        Assert.Equal(Tokenizer.Decode([hello]), text.LogprobTokens[0]);
        Assert.Equal([Tokenizer.Decode([hello]), Tokenizer.Decode([world])], text.Logprobs[0].Top.Select(t => t.Token));
    }
}
