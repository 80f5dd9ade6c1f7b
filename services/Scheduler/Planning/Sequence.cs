using LlmServe.Contracts;
using LlmServe.Scheduler.KvCache;

namespace LlmServe.Scheduler.Planning;

/// <summary>
/// One choice of a request: its tokens (prompt then output), how many of them have KV computed, its blocks,
/// and what the workers already know about it (so steps carry deltas only).
/// </summary>
public sealed class Sequence
{
    private int[] _tokens;

    internal Sequence(ulong id, SchedulerRequest request, int choiceIndex, ReadOnlySpan<int> prompt, int expectedLength)
    {
        Id = id;
        Request = request;
        ChoiceIndex = choiceIndex;
        _tokens = new int[Math.Max(expectedLength, prompt.Length + 1)];
        prompt.CopyTo(_tokens);
        Length = prompt.Length;
        PromptLength = prompt.Length;
    }

    /// <summary>Id the workers know this sequence by; never reused.</summary>
    public ulong Id { get; }

    public SchedulerRequest Request { get; }

    public int ChoiceIndex { get; }

    public int PromptLength { get; }

    /// <summary>Prompt plus output tokens.</summary>
    public int Length { get; private set; }

    public int OutputLength => Length - PromptLength;

    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Length);

    public ReadOnlySpan<int> OutputTokens => _tokens.AsSpan(PromptLength, OutputLength);

    /// <summary>Tokens whose KV is in this sequence's blocks (confirmed by a step's result).</summary>
    public int ComputedTokens { get; internal set; }

    /// <summary>Tokens whose KV is computed or being computed by the steps in flight (equals <see cref="ComputedTokens"/> when none is).</summary>
    internal int ScheduledTokens { get; set; }

    /// <summary>Steps in flight that sample this sequence's next token (0 or 1): that token is known only once its result is in.</summary>
    internal int PendingSamples { get; set; }

    public SequenceStatus Status { get; internal set; }

    public FinishReason FinishReason { get; internal set; }

    /// <summary>Times this sequence was preempted and recomputed.</summary>
    public int Preemptions { get; internal set; }

    /// <summary>Prompt tokens served from the prefix cache (or a fork) on first admission, for usage.</summary>
    public int CachedPromptTokens { get; internal set; }

    public KvSequence Kv { get; } = new();

    /// <summary>Block ids the workers already hold for this sequence.</summary>
    internal int SentBlockCount { get; set; }

    /// <summary>The next step must carry the full state (first step, or first after preemption).</summary>
    internal bool NeedsFullState { get; set; } = true;

    /// <summary>Steps in flight that include this sequence; their results are still to come.</summary>
    internal int InFlightSteps { get; set; }

    internal bool InFlight => InFlightSteps > 0;

    /// <summary>Cancelled while in flight: finish it once the oldest step's result is in.</summary>
    internal FinishReason PendingCancel { get; set; }

    internal bool HasPendingCancel { get; set; }

    /// <summary>This sequence's entry in the step plan, reused every step.</summary>
    internal ScheduledSequence Wire { get; } = new();

    internal void Append(int token)
    {
        if (Length == _tokens.Length)
        {
            Array.Resize(ref _tokens, _tokens.Length * 2);
        }
        _tokens[Length++] = token;
    }
}
