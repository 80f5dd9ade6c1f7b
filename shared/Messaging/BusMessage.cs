namespace LlmServe.Messaging;

/// <summary>One delivered message. The payload belongs to the message and stays valid after delivery.</summary>
public sealed record BusMessage(string Subject, string? ReplyTo, MessageHeaders? Headers, ReadOnlyMemory<byte> Payload);
