using System.Text.Json;
using LlmServe.Tokenization.Models;

namespace LlmServe.Tokenization.Loading;

/// <summary>
/// Reads the BPE merges array ("a b" strings or ["a", "b"] pairs) straight from UTF-8 into a
/// <see cref="MergeTable"/>, through span lookups, so the ~500k merges of a large vocabulary allocate nothing.
/// </summary>
internal static class MergeListReader
{
    public static MergeTable Read(ReadOnlySpan<byte> mergesJson, int count, Dictionary<string, int> vocab, string? continuingSubwordPrefix)
    {
        Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        int prefixLength = continuingSubwordPrefix?.Length ?? 0;
        var table = new MergeTable(count);
        char[] left = new char[256];
        char[] right = new char[256];
        char[] merged = new char[512];
        var reader = new Utf8JsonReader(mergesJson);
        reader.Read();
        int rank = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int leftLength;
            int rightLength;
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                reader.Read();
                leftLength = Copy(ref reader, ref left);
                reader.Read();
                rightLength = Copy(ref reader, ref right);
                reader.Read();
                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    throw new TokenizerLoadException($"BPE merge #{rank} is not a pair of tokens");
                }
            }
            else
            {
                int length = Copy(ref reader, ref left);
                int space = left.AsSpan(0, length).IndexOf(' ');
                if (space < 0 || left.AsSpan(space + 1, length - space - 1).Contains(' '))
                {
                    throw new TokenizerLoadException($"BPE merge '{new string(left, 0, length)}' is not two space-separated tokens");
                }

                rightLength = length - space - 1;
                if (right.Length < rightLength)
                {
                    right = new char[rightLength * 2];
                }

                left.AsSpan(space + 1, rightLength).CopyTo(right);
                leftLength = space;
            }

            ReadOnlySpan<char> l = left.AsSpan(0, leftLength);
            ReadOnlySpan<char> r = right.AsSpan(0, rightLength);
            if (!lookup.TryGetValue(l, out int leftId) || !lookup.TryGetValue(r, out int rightId))
            {
                throw new TokenizerLoadException($"BPE merge '{l} {r}' uses a token that is not in the vocabulary");
            }

            ReadOnlySpan<char> tail = r[Math.Min(prefixLength, r.Length)..];
            if (merged.Length < l.Length + tail.Length)
            {
                merged = new char[(l.Length + tail.Length) * 2];
            }

            l.CopyTo(merged);
            tail.CopyTo(merged.AsSpan(l.Length));
            ReadOnlySpan<char> m = merged.AsSpan(0, l.Length + tail.Length);
            if (!lookup.TryGetValue(m, out int newId))
            {
                throw new TokenizerLoadException($"BPE merge '{l} {r}' produces '{m}', which is not in the vocabulary");
            }

            table.Set(MergeTable.Key(leftId, rightId), rank++, newId);
        }

        return table;
    }

    private static int Copy(ref Utf8JsonReader reader, ref char[] buffer)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new TokenizerLoadException("BPE merges must be strings or pairs of strings");
        }

        int max = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (buffer.Length < max)
        {
            buffer = new char[max * 2];
        }

        return reader.CopyString(buffer);
    }
}
