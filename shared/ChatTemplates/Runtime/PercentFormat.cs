using System.Globalization;
using System.Text;
using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>Python's <c>"fmt" % args</c> for the common conversions (s, r, d, i, f, x, %), with width and precision.</summary>
internal static class PercentFormat
{
    public static string Format(string format, object? args)
    {
        IReadOnlyList<object?> values = args is TupleValue t ? t.Items : [args];
        OrderedDictionary<object, object?>? mapping = args as OrderedDictionary<object, object?>;
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%')
            {
                sb.Append(c);
                continue;
            }

            i++;
            if (i >= format.Length)
            {
                throw PyOps.TypeError("incomplete format");
            }

            object? value = null;
            bool haveValue = false;
            if (format[i] == '(' && mapping is not null)
            {
                int close = format.IndexOf(')', i);
                if (close < 0)
                {
                    throw PyOps.TypeError("incomplete format key");
                }

                string key = format[(i + 1)..close];
                value = mapping.TryGetValue(key, out object? v) ? v : throw PyOps.TypeError($"KeyError: '{key}'");
                haveValue = true;
                i = close + 1;
            }

            bool leftAlign = false;
            bool zeroPad = false;
            while (i < format.Length && format[i] is '-' or '0' or '+' or ' ' or '#')
            {
                leftAlign |= format[i] == '-';
                zeroPad |= format[i] == '0';
                i++;
            }

            int width = ReadNumber(format, ref i);
            int precision = -1;
            if (i < format.Length && format[i] == '.')
            {
                i++;
                precision = ReadNumber(format, ref i);
            }

            if (i >= format.Length)
            {
                throw PyOps.TypeError("incomplete format");
            }

            char conversion = format[i];
            if (conversion == '%')
            {
                sb.Append('%');
                continue;
            }

            if (!haveValue)
            {
                if (next >= values.Count)
                {
                    throw PyOps.TypeError("not enough arguments for format string");
                }

                value = values[next++];
            }

            string text = conversion switch
            {
                's' => PyFormat.Str(value),
                'r' or 'a' => PyFormat.Repr(value),
                'd' or 'i' or 'u' => ((long)Math.Truncate(PyOps.AsDouble(value))).ToString(CultureInfo.InvariantCulture),
                'f' or 'F' => PyOps.AsDouble(value).ToString("F" + (precision < 0 ? 6 : precision).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                'x' => PyOps.AsLong(value).ToString("x", CultureInfo.InvariantCulture),
                'X' => PyOps.AsLong(value).ToString("X", CultureInfo.InvariantCulture),
                _ => throw PyOps.TypeError($"unsupported format character '{conversion}'"),
            };
            if (conversion is 's' or 'r' && precision >= 0 && text.Length > precision)
            {
                text = text[..precision];
            }

            if (text.Length < width)
            {
                text = leftAlign ? text.PadRight(width) : text.PadLeft(width, zeroPad && conversion != 's' ? '0' : ' ');
            }

            sb.Append(text);
        }

        if (mapping is null && next < values.Count && args is TupleValue)
        {
            throw PyOps.TypeError("not all arguments converted during string formatting");
        }

        return sb.ToString();
    }

    private static int ReadNumber(string format, ref int i)
    {
        int n = 0;
        while (i < format.Length && char.IsAsciiDigit(format[i]))
        {
            n = (n * 10) + (format[i] - '0');
            i++;
        }

        return n;
    }
}
