using System.Globalization;
using System.Text;
using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>Python's <c>str()</c> and <c>repr()</c> for template values, as Jinja2 prints them.</summary>
internal static class PyFormat
{
    public static string Str(object? value) => value switch
    {
        string s => s,
        null => "None",
        Undefined => string.Empty,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatRepr(d),
        _ => Repr(value),
    };

    public static string Repr(object? value)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, value);
        return sb.ToString();
    }

    public static void AppendRepr(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case string s:
                AppendStringRepr(sb, s);
                break;
            case null or Undefined or bool or long or double:
                sb.Append(value is Undefined ? "Undefined" : Str(value));
                break;
            case List<object?> list:
                sb.Append('[');
                AppendItems(sb, list);
                sb.Append(']');
                break;
            case TupleValue tuple:
                sb.Append('(');
                AppendItems(sb, tuple.Items);
                if (tuple.Count == 1)
                {
                    sb.Append(',');
                }

                sb.Append(')');
                break;
            case OrderedDictionary<object, object?> dict:
                sb.Append('{');
                bool first = true;
                foreach (KeyValuePair<object, object?> kv in dict)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    AppendRepr(sb, kv.Key);
                    sb.Append(": ");
                    AppendRepr(sb, kv.Value);
                }

                sb.Append('}');
                break;
            case NamespaceValue ns:
                sb.Append("<Namespace {");
                bool firstAttr = true;
                foreach (KeyValuePair<string, object?> kv in ns.Attributes)
                {
                    if (!firstAttr)
                    {
                        sb.Append(", ");
                    }

                    firstAttr = false;
                    AppendStringRepr(sb, kv.Key);
                    sb.Append(": ");
                    AppendRepr(sb, kv.Value);
                }

                sb.Append("}>");
                break;
            case ICallable callable:
                sb.Append("<function ").Append(callable.Name).Append('>');
                break;
            default:
                sb.Append(value.ToString());
                break;
        }
    }

    private static void AppendItems(StringBuilder sb, IEnumerable<object?> items)
    {
        bool first = true;
        foreach (object? item in items)
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            AppendRepr(sb, item);
        }
    }

    /// <summary>Python picks single quotes unless the text has a single quote and no double quote.</summary>
    public static void AppendStringRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        sb.Append(quote);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == quote || c == '\\')
            {
                sb.Append('\\').Append(c);
            }
            else if (c == '\n')
            {
                sb.Append("\\n");
            }
            else if (c == '\r')
            {
                sb.Append("\\r");
            }
            else if (c == '\t')
            {
                sb.Append("\\t");
            }
            else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                int code = char.ConvertToUtf32(c, s[i + 1]);
                UnicodeCategory cat = CharUnicodeInfo.GetUnicodeCategory(code);
                if (IsPrintable(cat))
                {
                    sb.Append(c).Append(s[i + 1]);
                }
                else
                {
                    sb.Append("\\U").Append(code.ToString("x8", CultureInfo.InvariantCulture));
                }

                i++;
            }
            else if (c < ' ' || c == '\x7f' || (c > '\x7f' && !IsPrintable(CharUnicodeInfo.GetUnicodeCategory(c))))
            {
                sb.Append(c <= '\xff' ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        sb.Append(quote);
    }

    private static bool IsPrintable(UnicodeCategory cat) => cat switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };

    /// <summary>Python's float repr: shortest round-trip digits, exponent form below 1e-4 or from 1e16.</summary>
    public static string FloatRepr(double d)
    {
        if (double.IsNaN(d))
        {
            return "nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "inf" : "-inf";
        }

        if (d == 0)
        {
            return double.IsNegative(d) ? "-0.0" : "0.0";
        }

        string shortest = d.ToString("R", CultureInfo.InvariantCulture);
        bool negative = shortest[0] == '-';
        string body = negative ? shortest[1..] : shortest;
        int exponent = 0;
        int e = body.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(body.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            body = body[..e];
        }

        int dot = body.IndexOf('.', StringComparison.Ordinal);
        string intPart = dot >= 0 ? body[..dot] : body;
        string fracPart = dot >= 0 ? body[(dot + 1)..] : string.Empty;
        string digits = intPart + fracPart;
        int decimalPoint = intPart.Length + exponent;
        int leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0')
        {
            leading++;
        }

        digits = digits[leading..];
        decimalPoint -= leading;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        var sb = new StringBuilder();
        if (negative)
        {
            sb.Append('-');
        }

        if (decimalPoint <= -4 || decimalPoint > 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits, 1, digits.Length - 1);
            }

            int exp = decimalPoint - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+').Append(Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (decimalPoint <= 0)
        {
            sb.Append("0.").Append('0', -decimalPoint).Append(digits);
        }
        else if (decimalPoint >= digits.Length)
        {
            sb.Append(digits).Append('0', decimalPoint - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, decimalPoint).Append('.').Append(digits, decimalPoint, digits.Length - decimalPoint);
        }

        return sb.ToString();
    }

    /// <summary>The Python type name, as in error messages ("str", "int", "dict").</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        string => "str",
        bool => "bool",
        long => "int",
        double => "float",
        List<object?> => "list",
        TupleValue => "tuple",
        OrderedDictionary<object, object?> => "dict",
        NamespaceValue => "Namespace",
        Undefined => "Undefined",
        LoopContext => "LoopContext",
        ICallable => "function",
        _ => value.GetType().Name,
    };

    /// <summary>Jinja2's object_type_repr: "dict object", "None".</summary>
    public static string TypeDescription(object? value) => value is null ? "None" : TypeName(value) + " object";
}
