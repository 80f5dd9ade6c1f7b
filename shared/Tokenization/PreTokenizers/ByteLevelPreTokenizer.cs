using System.Text;
using LlmServe.Tokenization.Models;
using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>
/// ByteLevel: optional prefix space, optional GPT-2 regex split, then each piece's UTF-8 bytes mapped to
/// GPT-2's printable alphabet.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    private static readonly Gpt2MatchFinder Finder = new();

    public void PreTokenize(PieceBuffer source, PieceBuffer destination, PreTokenizerScratch scratch)
    {
        for (int i = 0; i < source.Count; i++)
        {
            ReadOnlySpan<char> piece = source[i];
            bool atStart = source.IsAtInputStart(i);
            if (addPrefixSpace && piece[0] != ' ')
            {
                scratch.Chars.Clear();
                scratch.Chars.Append(' ');
                scratch.Chars.Append(piece);
                piece = scratch.Chars.Span;
            }

            if (!useRegex)
            {
                Map(piece, atStart, destination, scratch);
                continue;
            }

            scratch.Matches.Clear();
            Finder.FindMatches(piece, scratch.Matches);
            for (int m = 0; m < scratch.Matches.Count; m++)
            {
                (int start, int end) = scratch.Matches[m];
                Map(piece[start..end], atStart && start == 0, destination, scratch);
            }
        }
    }

    private static void Map(ReadOnlySpan<char> text, bool atStart, PieceBuffer destination, PreTokenizerScratch scratch)
    {
        int maxBytes = text.Length * 3;
        if (scratch.Bytes.Length < maxBytes)
        {
            scratch.Bytes = new byte[Math.Max(maxBytes, scratch.Bytes.Length * 2)];
        }

        int byteCount = Encoding.UTF8.GetBytes(text, scratch.Bytes);
        int start = destination.Reserve(byteCount);
        Span<char> output = destination.WritableAt(start, byteCount);
        char[] table = ByteLevelAlphabet.ByteToChar;
        ReadOnlySpan<byte> bytes = scratch.Bytes.AsSpan(0, byteCount);
        for (int b = 0; b < bytes.Length; b++)
        {
            output[b] = table[bytes[b]];
        }

        destination.Commit(start, byteCount, atStart);
    }
}
