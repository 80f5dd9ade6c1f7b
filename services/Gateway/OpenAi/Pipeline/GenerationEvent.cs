using LlmServe.Contracts;
using LlmServe.Gateway.Errors;

namespace LlmServe.Gateway.OpenAi.Pipeline;

/// <summary>One item of a merged generation stream: a chunk of prompt <see cref="PromptIndex"/>, or the error that ends it.</summary>
public readonly record struct GenerationEvent(int PromptIndex, ResponseChunk? Chunk, ApiError? Error);
