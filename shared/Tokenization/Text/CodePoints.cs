using System.Globalization;
using System.Text;

namespace LlmServe.Tokenization.Text;

/// <summary>
/// Unicode classes as Oniguruma and Rust see them: by code point (so astral letters are letters), and
/// whitespace as the Unicode White_Space property.
/// </summary>
internal static class CodePoints
{
    public static int Read(ReadOnlySpan<char> s, int i, out int width)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }

        width = 1;
        return c;
    }

    public static bool IsLetter(int cp)
    {
        if (cp < 128)
        {
            return (uint)((cp | 0x20) - 'a') <= 'z' - 'a';
        }

        UnicodeCategory cat = cp < 0x10000 ? CharUnicodeInfo.GetUnicodeCategory((char)cp) : Rune.GetUnicodeCategory(new Rune(cp));
        return cat <= UnicodeCategory.OtherLetter;
    }

    public static bool IsNumber(int cp)
    {
        if (cp < 128)
        {
            return (uint)(cp - '0') <= 9;
        }

        UnicodeCategory cat = cp < 0x10000 ? CharUnicodeInfo.GetUnicodeCategory((char)cp) : Rune.GetUnicodeCategory(new Rune(cp));
        return cat is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }

    /// <summary>The Unicode White_Space property (what Oniguruma's \s and Rust's char::is_whitespace match).</summary>
    public static bool IsWhiteSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary>True when the text holds an unpaired UTF-16 surrogate (which Rust strings cannot).</summary>
    public static bool HasLoneSurrogate(ReadOnlySpan<char> s)
    {
        int i = s.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return false;
        }

        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    i++;
                    continue;
                }

                return true;
            }

            if (char.IsLowSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Copies the text replacing each unpaired surrogate with U+FFFD, as the node/Python bindings do.</summary>
    public static void ReplaceLoneSurrogates(ReadOnlySpan<char> s, CharBuffer output)
    {
        output.Clear();
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                output.Append(c);
                output.Append(s[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                output.Append('\uFFFD');
            }
            else
            {
                output.Append(c);
            }
        }
    }
}
