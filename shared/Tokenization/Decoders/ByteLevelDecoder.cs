using System.Buffers;
using System.Text;
using LlmServe.Tokenization.Models;

namespace LlmServe.Tokenization.Decoders;

/// <summary>
/// Maps GPT-2 alphabet chars back to bytes (a token with any char outside the alphabet contributes its own
/// UTF-8 bytes) and decodes all bytes at once, invalid sequences becoming U+FFFD, into a single string.
/// </summary>
internal sealed class ByteLevelDecoder : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        int capacity = 0;
        foreach (string t in tokens)
        {
            capacity += t.Length * 3;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 16));
        try
        {
            int n = 0;
            foreach (string t in tokens)
            {
                n += AppendBytes(t, rented.AsSpan(n));
            }

            string text = Encoding.UTF8.GetString(rented, 0, n);
            tokens.Clear();
            tokens.Add(text);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes the bytes one token stands for.</summary>
    public static int AppendBytes(string token, Span<byte> destination)
    {
        short[] map = ByteLevelAlphabet.CharToByte;
        for (int i = 0; i < token.Length; i++)
        {
            char c = token[i];
            if (c >= map.Length || map[c] < 0)
            {
                return Encoding.UTF8.GetBytes(token, destination);
            }

            destination[i] = (byte)map[c];
        }

        return token.Length;
    }
}
