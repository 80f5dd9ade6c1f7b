using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace LlmServe.Scheduler.KvCache;

/// <summary>
/// Identity of a full KV block for prefix caching: a 128-bit digest of the parent block's hash and this
/// block's token ids, so equal hashes mean equal whole prefixes, not just equal blocks.
/// </summary>
/// <remarks>SHA-256 truncated to 128 bits: collisions are out of reach in practice, and hits are still checked token by token.</remarks>
public readonly record struct BlockHash(ulong Low, ulong High)
{
    /// <summary>Largest block size a hash can be computed for (bounds the stack buffer).</summary>
    public const int MaxBlockSize = 1024;

    /// <summary>The parent of the first block of every sequence.</summary>
    public static BlockHash Root => default;

    public static BlockHash Compute(BlockHash parent, ReadOnlySpan<int> tokens)
    {
        if (tokens.Length > MaxBlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(tokens), $"A block holds at most {MaxBlockSize} tokens.");
        }

        Span<byte> input = stackalloc byte[16 + (tokens.Length * sizeof(int))];
        BinaryPrimitives.WriteUInt64LittleEndian(input, parent.Low);
        BinaryPrimitives.WriteUInt64LittleEndian(input[8..], parent.High);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(tokens).CopyTo(input[16..]);
        }
        else
        {
            for (int i = 0; i < tokens.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(input[(16 + (i * 4))..], tokens[i]);
            }
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, digest);
        return new BlockHash(BinaryPrimitives.ReadUInt64LittleEndian(digest), BinaryPrimitives.ReadUInt64LittleEndian(digest[8..]));
    }
}
