using LlmServe.Contracts;

namespace LlmServe.Worker;

/// <summary>What one step produced on this stage: sampled tokens (last stage) or activations for the next stage.</summary>
internal readonly record struct StageStepResult(StepResult? Result, HiddenStates? Hidden);
