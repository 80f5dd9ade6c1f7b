using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Tokenization;

namespace LlmServe.Detokenizer;

/// <summary>
/// Turns token deltas from the scheduler into OpenAI-shaped text chunks for each request's reply subject,
/// and asks the scheduler to stop a choice when one of its stop strings appears. No bus: it only says what
/// to publish. Not thread-safe; the service calls it from one loop. A timed request's chunks carry the delta's stamps with
/// the detokenizer's own added (received, and published as the chunk is serialized).
/// </summary>
internal sealed class DetokenizeProcessor(HfTokenizer tokenizer, string model, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, RequestStream> _streams = new(StringComparer.Ordinal);
    private readonly string _cancelSubject = Subjects.Cancel(model);
    private readonly int[] _one = new int[1];

    public int ActiveRequests => _streams.Count;

    /// <param name="receivedUs">When the delta's message arrived (Unix µs), for timed requests; 0 = now.</param>
    public void Handle(TokenDelta delta, long nowMs, List<OutgoingMessage> output, long receivedUs = 0)
    {
        ArgumentNullException.ThrowIfNull(delta);
        string requestId = delta.Context?.RequestId ?? string.Empty;
        if (!_streams.TryGetValue(requestId, out var stream))
        {
            if (delta.Start is null)
            {
                return; // Already finished here (stop string) or never started: nothing to send.
            }
            stream = new RequestStream(delta.Context ?? new RequestContext(), delta.Start, tokenizer, nowMs);
            _streams[requestId] = stream;
        }
        stream.LastActivityMs = nowMs;

        if (delta.Error is not null)
        {
            Send(stream, new ResponseChunk { Context = stream.Context, Error = delta.Error, Done = true }, output);
            _streams.Remove(requestId);
            return;
        }

        var chunk = new ResponseChunk { Context = stream.Context };
        if (delta.StepTiming is { } step)
        {
            step.DetokenizerReceivedUs = receivedUs > 0 ? receivedUs : UnixMicros.Now(_time);
            chunk.StepTiming = step;
            chunk.RequestTiming = delta.RequestTiming;
        }
        foreach (var tokens in delta.Choices)
        {
            if ((uint)tokens.Index >= (uint)stream.Choices.Length)
            {
                continue;
            }
            var choice = stream.Choices[tokens.Index];
            if (choice.Finished)
            {
                continue;
            }
            var text = new ChoiceText { Index = tokens.Index };
            string prefix = string.Empty;
            if (stream.EchoText is not null && !stream.EchoSent[tokens.Index])
            {
                prefix = stream.EchoText;
                stream.EchoSent[tokens.Index] = true;
            }
            var ids = tokens.TokenIds.ToArray();
            string released = choice.Add(ids);
            text.TokenIds.Add(ids);
            if (stream.Logprobs)
            {
                AddLogprobs(tokens, text);
            }
            if (choice.Finished)
            {
                text.FinishReason = choice.FinishReason;
                text.Stop = choice.MatchedStop ?? string.Empty;
                var cancel = new CancelRequest { Context = stream.Context, Reason = CancelReason.StopString, ChoiceIndex = tokens.Index };
                output.Add(new OutgoingMessage(_cancelSubject, cancel.ToByteArray()));
            }
            else if (tokens.FinishReason != FinishReason.None)
            {
                released += choice.Finish(tokens.FinishReason);
                text.FinishReason = choice.FinishReason;
                text.Stop = choice.MatchedStop ?? string.Empty;
            }
            text.Text = prefix + released;
            chunk.Choices.Add(text);
        }

        if (delta.Finished || stream.AllFinished)
        {
            foreach (var (choice, index) in stream.Choices.Select((c, i) => (c, i)))
            {
                if (!choice.Finished)
                {
                    string tail = choice.Finish(FinishReason.Abort);
                    chunk.Choices.Add(new ChoiceText { Index = index, Text = tail, FinishReason = choice.FinishReason });
                }
            }
            // Prompt and cached counts come from the scheduler when it sent them; completion tokens are what
            // this choice emitted up to its stop, which the scheduler cannot know when a stop string ended it.
            chunk.Usage = stream.Usage();
            if (delta.Usage is { PromptTokens: > 0 } scheduled)
            {
                chunk.Usage.PromptTokens = scheduled.PromptTokens;
                chunk.Usage.CachedPromptTokens = scheduled.CachedPromptTokens;
            }
            chunk.Done = true;
            _streams.Remove(requestId);
        }

        if (chunk.Choices.Count > 0 || chunk.Done)
        {
            Send(stream, chunk, output);
        }
    }

    /// <summary>Ends requests idle since before <paramref name="cutoffMs"/> with a timeout error.</summary>
    public void Sweep(long cutoffMs, List<OutgoingMessage> output)
    {
        foreach (var (id, stream) in _streams.Where(p => p.Value.LastActivityMs < cutoffMs).ToList())
        {
            var error = new Error { Code = ErrorCode.Timeout, Message = "The request produced no tokens for too long and was dropped.", Retryable = true };
            Send(stream, new ResponseChunk { Context = stream.Context, Error = error, Done = true }, output);
            _streams.Remove(id);
        }
    }

    private void AddLogprobs(ChoiceTokens tokens, ChoiceText text)
    {
        foreach (var logprob in tokens.Logprobs)
        {
            var copy = logprob.Clone();
            copy.Token = TokenText(copy.TokenId);
            foreach (var top in copy.Top)
            {
                top.Token = TokenText(top.TokenId);
            }
            text.Logprobs.Add(copy);
            text.LogprobTokens.Add(copy.Token);
        }
    }

    private string TokenText(int tokenId)
    {
        _one[0] = tokenId;
        return tokenizer.Decode(_one, skipSpecialTokens: false);
    }

    private void Send(RequestStream stream, ResponseChunk chunk, List<OutgoingMessage> output)
    {
        chunk.Sequence = stream.NextSequence++;
        if (chunk.StepTiming is { } step)
        {
            step.DetokenizerPublishedUs = UnixMicros.Now(_time);
        }
        if (!string.IsNullOrEmpty(stream.ReplySubject))
        {
            output.Add(new OutgoingMessage(stream.ReplySubject, chunk.ToByteArray()));
        }
    }
}
