namespace LlmServe.Messaging.Connection;

/// <summary>A pooled chunk of serialized frames, <see cref="Length"/> bytes of which are used.</summary>
internal readonly record struct OutboundSegment(byte[] Array, int Length)
{
    public ReadOnlyMemory<byte> Memory => Array.AsMemory(0, Length);
}
