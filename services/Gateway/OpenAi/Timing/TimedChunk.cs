using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Timing;

/// <summary>A chunk of a timed request as the gateway saw it: its prompt, its stamps, and whether it carried text.</summary>
internal readonly record struct TimedChunk(int PromptIndex, StepTiming Step, bool HasText);
