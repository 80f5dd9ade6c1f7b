using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LlmServe.Cuda.Native;

/// <summary>
/// ncclUniqueId: 128 opaque bytes that rank 0 creates and every rank passes by value to ncclCommInitRank.
/// Blittable, so it crosses to native code as the C struct does, and travels between processes as bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Length)]
public struct NcclUniqueId : IEquatable<NcclUniqueId>
{
    /// <summary>NCCL_UNIQUE_ID_BYTES.</summary>
    public const int Length = 128;

    private Bytes _bytes;

    [InlineArray(Length)]
    private struct Bytes
    {
        private byte _element0;
    }

    /// <summary>The id as bytes, e.g. to send to the other ranks.</summary>
    public readonly byte[] ToArray()
    {
        var copy = _bytes;
        return ((ReadOnlySpan<byte>)copy).ToArray();
    }

    /// <summary>Rebuilds an id from the 128 bytes another rank sent.</summary>
    public static NcclUniqueId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"an NCCL unique id is {Length} bytes, got {bytes.Length}", nameof(bytes));
        }

        var id = default(NcclUniqueId);
        bytes.CopyTo(id._bytes);
        return id;
    }

    public readonly bool Equals(NcclUniqueId other)
    {
        var a = _bytes;
        var b = other._bytes;
        return ((ReadOnlySpan<byte>)a).SequenceEqual(b);
    }

    public override readonly bool Equals(object? obj) => obj is NcclUniqueId other && Equals(other);

    public override readonly int GetHashCode()
    {
        var copy = _bytes;
        var hash = new HashCode();
        hash.AddBytes(copy);
        return hash.ToHashCode();
    }

    public static bool operator ==(NcclUniqueId left, NcclUniqueId right) => left.Equals(right);

    public static bool operator !=(NcclUniqueId left, NcclUniqueId right) => !left.Equals(right);
}
