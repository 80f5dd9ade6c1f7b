using System.Text;
using LlmServe.ChatTemplates.Lexing;
using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>Python str algorithms whose .NET look-alikes differ (whitespace set, split rules, title case).</summary>
internal static class PyStrings
{
    /// <summary>str.upper with the special casings .NET lacks (ß → SS, ligatures), which Python applies.</summary>
    public static string Upper(string s)
    {
        string upper = s.ToUpperInvariant();
        if (!upper.AsSpan().ContainsAny("\u00DF\uFB00\uFB01\uFB02\uFB03\uFB04\uFB05\uFB06"))
        {
            return upper;
        }

        var sb = new StringBuilder(upper.Length + 4);
        foreach (char c in upper)
        {
            sb.Append(c switch
            {
                '\u00DF' => "SS",
                '\uFB00' => "FF",
                '\uFB01' => "FI",
                '\uFB02' => "FL",
                '\uFB03' => "FFI",
                '\uFB04' => "FFL",
                '\uFB05' or '\uFB06' => "ST",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    public static string ExpandTabs(string s, int tabSize)
    {
        var sb = new StringBuilder(s.Length);
        int column = 0;
        foreach (char c in s)
        {
            if (c == '\t')
            {
                int spaces = tabSize > 0 ? tabSize - (column % tabSize) : 0;
                sb.Append(' ', spaces);
                column += spaces;
            }
            else
            {
                sb.Append(c);
                column = c is '\n' or '\r' ? 0 : column + 1;
            }
        }

        return sb.ToString();
    }

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> strip = chars is null ? Lexer.IsPyWhiteSpace : c => chars.Contains(c, StringComparison.Ordinal);
        int start = 0;
        int end = s.Length;
        if (left)
        {
            while (start < end && strip(s[start]))
            {
                start++;
            }
        }

        if (right)
        {
            while (end > start && strip(s[end - 1]))
            {
                end--;
            }
        }

        return start == 0 && end == s.Length ? s : s[start..end];
    }

    public static List<object?> Split(string s, string? sep, long maxSplit)
    {
        var parts = new List<object?>();
        if (sep is null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && Lexer.IsPyWhiteSpace(s[i]))
                {
                    i++;
                }

                if (i >= s.Length)
                {
                    break;
                }

                if (maxSplit >= 0 && parts.Count >= maxSplit)
                {
                    parts.Add(Strip(s[i..], null, left: false, right: true));
                    break;
                }

                int start = i;
                while (i < s.Length && !Lexer.IsPyWhiteSpace(s[i]))
                {
                    i++;
                }

                parts.Add(s[start..i]);
            }

            return parts;
        }

        if (sep.Length == 0)
        {
            throw PyOps.TypeError("empty separator");
        }

        int pos = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(sep, pos, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            parts.Add(s[pos..at]);
            pos = at + sep.Length;
        }

        parts.Add(s[pos..]);
        return parts;
    }

    public static List<object?> RSplit(string s, string? sep, long maxSplit)
    {
        if (maxSplit < 0)
        {
            return Split(s, sep, maxSplit);
        }

        var parts = new List<object?>();
        if (sep is null)
        {
            int i = s.Length;
            while (true)
            {
                while (i > 0 && Lexer.IsPyWhiteSpace(s[i - 1]))
                {
                    i--;
                }

                if (i == 0)
                {
                    break;
                }

                if (parts.Count >= maxSplit)
                {
                    parts.Add(Strip(s[..i], null, left: true, right: false));
                    break;
                }

                int end = i;
                while (i > 0 && !Lexer.IsPyWhiteSpace(s[i - 1]))
                {
                    i--;
                }

                parts.Add(s[i..end]);
            }

            parts.Reverse();
            return parts;
        }

        if (sep.Length == 0)
        {
            throw PyOps.TypeError("empty separator");
        }

        int stop = s.Length;
        while (parts.Count < maxSplit)
        {
            int at = stop == 0 ? -1 : s.LastIndexOf(sep, stop - 1, StringComparison.Ordinal);
            if (at < 0 || at + sep.Length > stop)
            {
                break;
            }

            parts.Add(s[(at + sep.Length)..stop]);
            stop = at;
        }

        parts.Add(s[..stop]);
        parts.Reverse();
        return parts;
    }

    public static List<string> SplitLines(string s, bool keepEnds)
    {
        var lines = new List<string>();
        int start = 0;
        int i = 0;
        while (i < s.Length)
        {
            char c = s[i];
            bool isBreak = c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029';
            if (!isBreak)
            {
                i++;
                continue;
            }

            int breakEnd = c == '\r' && i + 1 < s.Length && s[i + 1] == '\n' ? i + 2 : i + 1;
            lines.Add(keepEnds ? s[start..breakEnd] : s[start..i]);
            start = breakEnd;
            i = breakEnd;
        }

        if (start < s.Length)
        {
            lines.Add(s[start..]);
        }

        return lines;
    }

    /// <summary>Python's str.title: a letter after a cased letter is lowered, any other letter is raised.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            if (char.IsLetter(c))
            {
                sb.Append(previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
                previousCased = char.IsUpper(c) || char.IsLower(c);
            }
            else
            {
                sb.Append(c);
                previousCased = false;
            }
        }

        return sb.ToString();
    }

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0)
        {
            if (old.Length == 0)
            {
                var all = new StringBuilder(replacement);
                foreach (char c in s)
                {
                    all.Append(c).Append(replacement);
                }

                return all.ToString();
            }

            return s.Replace(old, replacement, StringComparison.Ordinal);
        }

        var sb = new StringBuilder();
        int pos = 0;
        long done = 0;
        while (done < count)
        {
            int at = old.Length == 0 ? (pos <= s.Length ? pos : -1) : s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            sb.Append(s, pos, at - pos).Append(replacement);
            if (old.Length == 0)
            {
                if (at < s.Length)
                {
                    sb.Append(s[at]);
                }

                pos = at + 1;
            }
            else
            {
                pos = at + old.Length;
            }

            done++;
        }

        if (pos < s.Length)
        {
            sb.Append(s, pos, s.Length - pos);
        }

        return sb.ToString();
    }

    public static int Count(string s, string sub)
    {
        if (sub.Length == 0)
        {
            return s.Length + 1;
        }

        int n = 0;
        int pos = 0;
        while ((pos = s.IndexOf(sub, pos, StringComparison.Ordinal)) >= 0)
        {
            n++;
            pos += sub.Length;
        }

        return n;
    }

    /// <summary>str.format with automatic, numbered and named fields; format specs are not supported beyond "".</summary>
    public static string Format(string format, Arguments args)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '{')
            {
                if (i + 1 < format.Length && format[i + 1] == '{')
                {
                    sb.Append('{');
                    i++;
                    continue;
                }

                int close = format.IndexOf('}', i);
                if (close < 0)
                {
                    throw PyOps.TypeError("Single '{' encountered in format string");
                }

                string field = format[(i + 1)..close];
                int colon = field.IndexOf(':', StringComparison.Ordinal);
                if (colon >= 0)
                {
                    field = field[..colon];
                }

                object? value = field.Length == 0 ? args.Get(auto++, "\0")
                    : char.IsAsciiDigit(field[0]) ? args.Get(int.Parse(field, System.Globalization.CultureInfo.InvariantCulture), "\0")
                    : args.Get(-1, field, Undefined.Named(field));
                sb.Append(PyFormat.Str(value));
                i = close;
            }
            else if (c == '}' && i + 1 < format.Length && format[i + 1] == '}')
            {
                sb.Append('}');
                i++;
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
