namespace LlmServe.Contracts;

/// <summary>
/// A 64-bit FNV-1a hash of message bytes, the same in every process. It is for trace logs that compare what one
/// service sent with what another received or used: step plans, stage activations.
/// </summary>
public static class PayloadFingerprint
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        ulong hash = Offset;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }
}
