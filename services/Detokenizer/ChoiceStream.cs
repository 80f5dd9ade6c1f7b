using LlmServe.Contracts;
using LlmServe.Tokenization;

namespace LlmServe.Detokenizer;

/// <summary>One choice of a request: its incremental decoder, stop-string matcher and counters.</summary>
internal sealed class ChoiceStream(HfTokenizer tokenizer, DetokenizeParams parameters)
{
    private readonly IncrementalDetokenizer _decoder = new(tokenizer, parameters.SkipSpecialTokens);
    private readonly StopStringMatcher? _stops = parameters.Stop.Count > 0
        ? new StopStringMatcher(parameters.Stop, parameters.IncludeStopStrInOutput)
        : null;

    public int CompletionTokens { get; private set; }

    public FinishReason FinishReason { get; private set; } = FinishReason.None;

    public bool Finished => FinishReason != FinishReason.None;

    public string? MatchedStop => _stops?.MatchedStopString;

    /// <summary>Feeds tokens; returns the text now safe to send. Sets <see cref="FinishReason"/> when a stop string matched.</summary>
    public string Add(ReadOnlySpan<int> tokenIds)
    {
        if (Finished)
        {
            return string.Empty;
        }
        CompletionTokens += tokenIds.Length;
        string text = _decoder.Add(tokenIds);
        if (_stops is null)
        {
            return text;
        }
        string released = _stops.Push(text);
        if (_stops.IsStopped)
        {
            FinishReason = FinishReason.Stop;
        }
        return released;
    }

    /// <summary>Ends the choice for <paramref name="reason"/>; returns whatever text was still held back.</summary>
    public string Finish(FinishReason reason)
    {
        if (Finished)
        {
            return string.Empty;
        }
        FinishReason = reason;
        string tail = _decoder.Flush();
        if (_stops is null)
        {
            return tail;
        }
        string released = _stops.Push(tail);
        if (_stops.IsStopped)
        {
            FinishReason = FinishReason.Stop;
            return released;
        }
        return released + _stops.Flush();
    }
}
