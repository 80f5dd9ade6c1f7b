using LlmServe.Contracts;

namespace LlmServe.Scheduler.Planning;

/// <summary>What happened to one sequence: a new token, a finish, or both.</summary>
public readonly record struct SequenceOutput(
    Sequence Sequence,
    bool HasToken,
    int TokenId,
    TokenLogprob? Logprob,
    FinishReason FinishReason,
    int StopTokenId);
