namespace LlmServe.Messaging;

/// <summary>A publish exceeded the server's max_payload; nothing was sent.</summary>
public sealed class PayloadTooLargeException(int size, int maxPayload)
    : Exception($"Payload of {size} bytes exceeds the bus max_payload of {maxPayload} bytes.")
{
    public int Size { get; } = size;

    public int MaxPayload { get; } = maxPayload;
}
