using System.Globalization;
using System.Text;

namespace LlmServe.ChatTemplates.Lexing;

/// <summary>
/// Turns template source into tokens with Jinja2's whitespace rules as Hugging Face configures them:
/// trim_blocks (drop the newline after a block or comment tag), lstrip_blocks (drop the spaces before a
/// block or comment tag that starts a line), <c>-</c>/<c>+</c> modifiers, and keep_trailing_newline=false.
/// </summary>
internal sealed class Lexer
{
    private static readonly string[] TwoCharOperators = ["**", "//", "==", "!=", ">=", "<="];
    private const string SingleCharOperators = "+-/*%~[](){}><=.:|,;";

    private readonly string _src;
    private readonly List<Token> _tokens = [];
    private readonly Stack<char> _brackets = new();
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private bool _lineStarting = true;

    private Lexer(string source)
    {
        _src = Normalize(source);
    }

    public static List<Token> Tokenize(string source)
    {
        var lexer = new Lexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    /// <summary>Jinja2 turns \r\n and \r into \n and drops one trailing newline (keep_trailing_newline=False).</summary>
    private static string Normalize(string source)
    {
        string s = source.Contains('\r', StringComparison.Ordinal)
            ? source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n')
            : source;
        return s.EndsWith('\n') ? s[..^1] : s;
    }

    internal static bool IsPyWhiteSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    private void Run()
    {
        while (_pos < _src.Length)
        {
            int tag = FindTagStart(_pos);
            if (tag < 0)
            {
                Emit(TokenKind.Data, _src[_pos..], _pos);
                Advance(_src.Length);
                break;
            }

            char kind = _src[tag + 1];
            int afterBegin = tag + 2;
            char modifier = afterBegin < _src.Length && (_src[afterBegin] == '-' || _src[afterBegin] == '+') ? _src[afterBegin] : '\0';
            int rawEnd = kind == '%' ? MatchRawBegin(afterBegin + (modifier == '\0' ? 0 : 1)) : -1;

            string text = ApplyLeftStrip(_src[_pos..tag], modifier, kind != '{');
            if (text.Length > 0)
            {
                Emit(TokenKind.Data, text, _pos);
            }

            Advance(tag);
            if (rawEnd >= 0)
            {
                Advance(rawEnd);
                _lineStarting = _src[rawEnd - 1] == '\n';
                LexRaw();
                continue;
            }

            int contentStart = afterBegin + (modifier == '\0' ? 0 : 1);
            switch (kind)
            {
                case '#':
                    LexComment(contentStart);
                    break;
                case '%':
                    Emit(TokenKind.BlockBegin, "{%", tag);
                    Advance(contentStart);
                    LexTag(block: true);
                    break;
                default:
                    Emit(TokenKind.VariableBegin, "{{", tag);
                    Advance(contentStart);
                    LexTag(block: false);
                    break;
            }
        }

        _tokens.Add(new Token(TokenKind.Eof, string.Empty, _line, _pos - _lineStart + 1));
    }

    private int FindTagStart(int from)
    {
        int i = from;
        while (true)
        {
            i = _src.IndexOf('{', i);
            if (i < 0 || i + 1 >= _src.Length)
            {
                return -1;
            }

            char next = _src[i + 1];
            if (next == '{' || next == '%' || next == '#')
            {
                return i;
            }

            i++;
        }
    }

    /// <summary>The data before a tag loses trailing whitespace on <c>-</c>, or its indentation under lstrip_blocks.</summary>
    private string ApplyLeftStrip(string text, char modifier, bool lstripApplies)
    {
        if (modifier == '-')
        {
            int end = text.Length;
            while (end > 0 && IsPyWhiteSpace(text[end - 1]))
            {
                end--;
            }

            return text[..end];
        }

        if (modifier == '+' || !lstripApplies)
        {
            return text;
        }

        int lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart > 0 || _lineStarting)
        {
            if (lineStart < text.Length && AllWhiteSpace(text, lineStart))
            {
                return text[..lineStart];
            }
        }

        return text;
    }

    private static bool AllWhiteSpace(string text, int from)
    {
        for (int i = from; i < text.Length; i++)
        {
            if (!IsPyWhiteSpace(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Matches <c>\s*raw\s*(-%}\s*|%})</c> at <paramref name="at"/>; returns the end position or -1.</summary>
    private int MatchRawBegin(int at)
    {
        int i = SkipWhiteSpace(at);
        if (string.CompareOrdinal(_src, i, "raw", 0, 3) != 0)
        {
            return -1;
        }

        i = SkipWhiteSpace(i + 3);
        if (string.CompareOrdinal(_src, i, "-%}", 0, 3) == 0)
        {
            return SkipWhiteSpace(i + 3);
        }

        return string.CompareOrdinal(_src, i, "%}", 0, 2) == 0 ? i + 2 : -1;
    }

    private int SkipWhiteSpace(int i)
    {
        while (i < _src.Length && IsPyWhiteSpace(_src[i]))
        {
            i++;
        }

        return i;
    }

    private void LexRaw()
    {
        int search = _pos;
        while (true)
        {
            int open = _src.IndexOf("{%", search, StringComparison.Ordinal);
            if (open < 0)
            {
                throw Error("Missing end of raw directive", _pos);
            }

            int i = open + 2;
            char modifier = i < _src.Length && (_src[i] == '-' || _src[i] == '+') ? _src[i] : '\0';
            if (modifier != '\0')
            {
                i++;
            }

            i = SkipWhiteSpace(i);
            if (string.CompareOrdinal(_src, i, "endraw", 0, 6) == 0)
            {
                int j = SkipWhiteSpace(i + 6);
                int end = MatchBlockEnd(j);
                if (end >= 0)
                {
                    string text = ApplyLeftStrip(_src[_pos..open], modifier, lstripApplies: true);
                    if (text.Length > 0)
                    {
                        Emit(TokenKind.Data, text, _pos);
                    }

                    Advance(end);
                    _lineStarting = _src[end - 1] == '\n';
                    return;
                }
            }

            search = open + 2;
        }
    }

    /// <summary>Matches <c>+%}</c>, <c>-%}\s*</c> or <c>%}\n?</c> (trim_blocks); returns the end position or -1.</summary>
    private int MatchBlockEnd(int i)
    {
        if (string.CompareOrdinal(_src, i, "+%}", 0, 3) == 0)
        {
            return i + 3;
        }

        if (string.CompareOrdinal(_src, i, "-%}", 0, 3) == 0)
        {
            return SkipWhiteSpace(i + 3);
        }

        if (string.CompareOrdinal(_src, i, "%}", 0, 2) == 0)
        {
            return i + 2 < _src.Length && _src[i + 2] == '\n' ? i + 3 : i + 2;
        }

        return -1;
    }

    private void LexComment(int contentStart)
    {
        int close = _src.IndexOf("#}", contentStart, StringComparison.Ordinal);
        if (close < 0)
        {
            throw Error("Missing end of comment tag", _pos);
        }

        int end;
        if (close > contentStart && _src[close - 1] == '-')
        {
            end = SkipWhiteSpace(close + 2);
        }
        else if (close > contentStart && _src[close - 1] == '+')
        {
            end = close + 2;
        }
        else
        {
            end = close + 2 < _src.Length && _src[close + 2] == '\n' ? close + 3 : close + 2;
        }

        Advance(end);
        _lineStarting = _src[end - 1] == '\n';
    }

    private void LexTag(bool block)
    {
        while (true)
        {
            if (_pos >= _src.Length)
            {
                throw Error(block ? "Unexpected end of template, expected end of statement block ('%}')" : "Unexpected end of template, expected end of print statement ('}}')", _pos);
            }

            if (_brackets.Count == 0 && TryLexTagEnd(block))
            {
                return;
            }

            char c = _src[_pos];
            if (IsPyWhiteSpace(c))
            {
                Advance(SkipWhiteSpace(_pos));
            }
            else if (char.IsAsciiDigit(c))
            {
                LexNumber();
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                int start = _pos;
                int i = _pos + 1;
                while (i < _src.Length && (char.IsAsciiLetterOrDigit(_src[i]) || _src[i] == '_'))
                {
                    i++;
                }

                Emit(TokenKind.Name, _src[start..i], start);
                Advance(i);
            }
            else if (c == '\'' || c == '"')
            {
                LexString(c);
            }
            else
            {
                LexOperator(c);
            }
        }
    }

    private bool TryLexTagEnd(bool block)
    {
        int end;
        if (block)
        {
            end = MatchBlockEnd(_pos);
        }
        else if (string.CompareOrdinal(_src, _pos, "-}}", 0, 3) == 0)
        {
            end = SkipWhiteSpace(_pos + 3);
        }
        else
        {
            end = string.CompareOrdinal(_src, _pos, "}}", 0, 2) == 0 ? _pos + 2 : -1;
        }

        if (end < 0)
        {
            return false;
        }

        Emit(block ? TokenKind.BlockEnd : TokenKind.VariableEnd, block ? "%}" : "}}", _pos);
        Advance(end);
        _lineStarting = _src[end - 1] == '\n';
        return true;
    }

    private void LexNumber()
    {
        int start = _pos;
        int i = ScanDigits(_pos);
        bool isFloat = false;
        bool afterDot = start > 0 && _src[start - 1] == '.';
        if (!afterDot)
        {
            if (i + 1 < _src.Length && _src[i] == '.' && char.IsAsciiDigit(_src[i + 1]))
            {
                i = ScanDigits(i + 1);
                isFloat = true;
            }

            if (i < _src.Length && (_src[i] == 'e' || _src[i] == 'E'))
            {
                int j = i + 1;
                if (j < _src.Length && (_src[j] == '+' || _src[j] == '-'))
                {
                    j++;
                }

                if (j < _src.Length && char.IsAsciiDigit(_src[j]))
                {
                    i = ScanDigits(j);
                    isFloat = true;
                }
            }
        }

        string text = _src[start..i].Replace("_", string.Empty, StringComparison.Ordinal);
        Emit(isFloat ? TokenKind.Float : TokenKind.Integer, text, start);
        Advance(i);
    }

    private int ScanDigits(int i)
    {
        while (i < _src.Length && (char.IsAsciiDigit(_src[i]) || (_src[i] == '_' && i + 1 < _src.Length && char.IsAsciiDigit(_src[i + 1]))))
        {
            i++;
        }

        return i;
    }

    private void LexString(char quote)
    {
        int start = _pos;
        var sb = new StringBuilder();
        int i = _pos + 1;
        while (true)
        {
            if (i >= _src.Length)
            {
                throw Error("unexpected end of string", start);
            }

            char c = _src[i];
            if (c == quote)
            {
                i++;
                break;
            }

            if (c != '\\')
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (i + 1 >= _src.Length)
            {
                throw Error("unexpected end of string", start);
            }

            i = AppendEscape(sb, i + 1);
        }

        Emit(TokenKind.String, sb.ToString(), start);
        Advance(i);
    }

    /// <summary>Python's unicode-escape decoding of one escape whose letter is at <paramref name="i"/>.</summary>
    private int AppendEscape(StringBuilder sb, int i)
    {
        char e = _src[i];
        switch (e)
        {
            case '\n': return i + 1;
            case '\\': sb.Append('\\'); return i + 1;
            case '\'': sb.Append('\''); return i + 1;
            case '"': sb.Append('"'); return i + 1;
            case 'a': sb.Append('\a'); return i + 1;
            case 'b': sb.Append('\b'); return i + 1;
            case 'f': sb.Append('\f'); return i + 1;
            case 'n': sb.Append('\n'); return i + 1;
            case 'r': sb.Append('\r'); return i + 1;
            case 't': sb.Append('\t'); return i + 1;
            case 'v': sb.Append('\v'); return i + 1;
            case 'x': return AppendHex(sb, i + 1, 2);
            case 'u': return AppendHex(sb, i + 1, 4);
            case 'U': return AppendHex(sb, i + 1, 8);
            default:
                if (e >= '0' && e <= '7')
                {
                    int value = 0;
                    int j = i;
                    while (j < i + 3 && j < _src.Length && _src[j] >= '0' && _src[j] <= '7')
                    {
                        value = (value * 8) + (_src[j] - '0');
                        j++;
                    }

                    sb.Append((char)value);
                    return j;
                }

                sb.Append('\\').Append(e);
                return i + 1;
        }
    }

    private int AppendHex(StringBuilder sb, int i, int digits)
    {
        if (i + digits > _src.Length || !int.TryParse(_src.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
        {
            throw Error($"truncated \\{_src[i - 1]} escape in string", i);
        }

        sb.Append(char.ConvertFromUtf32(code));
        return i + digits;
    }

    private void LexOperator(char c)
    {
        int start = _pos;
        foreach (string op in TwoCharOperators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, 2) == 0)
            {
                Emit(TokenKind.Operator, op, start);
                Advance(_pos + 2);
                return;
            }
        }

        if (!SingleCharOperators.Contains(c, StringComparison.Ordinal))
        {
            throw Error($"unexpected char '{c}' at {_pos}", _pos);
        }

        switch (c)
        {
            case '(' or '[' or '{':
                _brackets.Push(c);
                break;
            case ')' or ']' or '}':
                char expected = c switch { ')' => '(', ']' => '[', _ => '{' };
                if (_brackets.Count == 0)
                {
                    throw Error($"unexpected '{c}'", _pos);
                }

                char open = _brackets.Pop();
                if (open != expected)
                {
                    char close = open switch { '(' => ')', '[' => ']', _ => '}' };
                    throw Error($"unexpected '{c}', expected '{close}'", _pos);
                }

                break;
        }

        Emit(TokenKind.Operator, c.ToString(), start);
        Advance(_pos + 1);
    }

    private void Emit(TokenKind kind, string text, int at)
    {
        (int line, int column) = Locate(at);
        _tokens.Add(new Token(kind, text, line, column));
    }

    private (int Line, int Column) Locate(int at)
    {
        // Tokens are emitted at or after the current position, except data that starts at it.
        int line = _line;
        int lineStart = _lineStart;
        for (int i = _pos; i < at; i++)
        {
            if (_src[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, at - lineStart + 1);
    }

    private void Advance(int to)
    {
        for (int i = _pos; i < to; i++)
        {
            if (_src[i] == '\n')
            {
                _line++;
                _lineStart = i + 1;
            }
        }

        _pos = to;
    }

    private TemplateException Error(string message, int at)
    {
        (int line, int column) = Locate(Math.Max(at, _pos));
        return new TemplateException(message, TemplateErrorKind.Syntax, line, column);
    }
}
