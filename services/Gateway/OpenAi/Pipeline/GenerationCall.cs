using LlmServe.Contracts;
using LlmServe.Messaging;

namespace LlmServe.Gateway.OpenAi.Pipeline;

/// <summary>One bus request (one prompt): what was sent, where its chunks arrive, and whether it has finished.</summary>
internal sealed class GenerationCall(int promptIndex, TokenizeRequest request, IBusSubscription replies)
{
    private int _finished;

    public int PromptIndex { get; } = promptIndex;

    public TokenizeRequest Request { get; } = request;

    public IBusSubscription Replies { get; } = replies;

    /// <summary>Timed requests only: when the TokenizeRequest was first published (Unix µs; retries keep the first).</summary>
    public long TokenizePublishedUs { get; set; }

    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>Marks the call finished; true only for the first caller (a done chunk, an error or a cancel).</summary>
    public bool TryFinish() => Interlocked.Exchange(ref _finished, 1) == 0;
}
