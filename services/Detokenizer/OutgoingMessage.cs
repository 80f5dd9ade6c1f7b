namespace LlmServe.Detokenizer;

/// <summary>A message the processor wants published.</summary>
internal readonly record struct OutgoingMessage(string Subject, byte[] Payload);
