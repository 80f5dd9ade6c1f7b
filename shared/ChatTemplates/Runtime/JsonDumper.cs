using System.Globalization;
using System.Text;
using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>
/// Python's <c>json.dumps</c> as transformers' <c>tojson</c> filter calls it: ensure_ascii=False by default,
/// <c>indent</c>, <c>separators</c> and <c>sort_keys</c> honoured, insertion order kept.
/// </summary>
internal sealed class JsonDumper
{
    private readonly string? _indent;
    private readonly string _itemSeparator;
    private readonly string _keySeparator;
    private readonly bool _sortKeys;
    private readonly bool _ensureAscii;
    private readonly StringBuilder _sb = new();

    public JsonDumper(object? indent, object? separators, bool sortKeys, bool ensureAscii)
    {
        _indent = indent switch
        {
            null => null,
            string s => s,
            long or bool => new string(' ', (int)Math.Max(0, PyOps.AsLong(indent))),
            _ => throw PyOps.TypeError($"indent must be an int or str, not {PyFormat.TypeName(indent)}"),
        };
        if (separators is null)
        {
            _itemSeparator = _indent is null ? ", " : ",";
            _keySeparator = ": ";
        }
        else
        {
            List<object?> pair = PyOps.ToList(separators);
            if (pair.Count != 2 || pair[0] is not string item || pair[1] is not string key)
            {
                throw PyOps.TypeError("separators must be a (item_separator, key_separator) pair of strings");
            }

            _itemSeparator = item;
            _keySeparator = key;
        }

        _sortKeys = sortKeys;
        _ensureAscii = ensureAscii;
    }

    public string Dump(object? value)
    {
        _sb.Clear();
        Write(value, 0);
        return _sb.ToString();
    }

    private void Write(object? value, int level)
    {
        switch (value)
        {
            case null:
                _sb.Append("null");
                break;
            case bool b:
                _sb.Append(b ? "true" : "false");
                break;
            case long l:
                _sb.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                _sb.Append(FloatText(d));
                break;
            case string s:
                WriteString(s);
                break;
            case List<object?> list:
                WriteSequence(list, level);
                break;
            case TupleValue tuple:
                WriteSequence(tuple.Items, level);
                break;
            case OrderedDictionary<object, object?> dict:
                WriteDict(dict, level);
                break;
            default:
                throw PyOps.TypeError($"Object of type {PyFormat.TypeName(value)} is not JSON serializable");
        }
    }

    private static string FloatText(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyFormat.FloatRepr(d);

    private void NewLine(int level)
    {
        if (_indent is not null)
        {
            _sb.Append('\n');
            for (int i = 0; i < level; i++)
            {
                _sb.Append(_indent);
            }
        }
    }

    private void WriteSequence(IReadOnlyList<object?> items, int level)
    {
        if (items.Count == 0)
        {
            _sb.Append("[]");
            return;
        }

        _sb.Append('[');
        NewLine(level + 1);
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                _sb.Append(_itemSeparator);
                NewLine(level + 1);
            }

            Write(items[i], level + 1);
        }

        NewLine(level);
        _sb.Append(']');
    }

    private void WriteDict(OrderedDictionary<object, object?> dict, int level)
    {
        if (dict.Count == 0)
        {
            _sb.Append("{}");
            return;
        }

        IEnumerable<KeyValuePair<object, object?>> entries = dict;
        if (_sortKeys)
        {
            var sorted = dict.ToList();
            sorted.Sort((x, y) => PyOps.Compare(x.Key, y.Key, "<"));
            entries = sorted;
        }

        _sb.Append('{');
        NewLine(level + 1);
        bool first = true;
        foreach (KeyValuePair<object, object?> kv in entries)
        {
            if (!first)
            {
                _sb.Append(_itemSeparator);
                NewLine(level + 1);
            }

            first = false;
            WriteString(KeyText(kv.Key));
            _sb.Append(_keySeparator);
            Write(kv.Value, level + 1);
        }

        NewLine(level);
        _sb.Append('}');
    }

    private static string KeyText(object key) => key switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FloatText(d),
        _ => throw PyOps.TypeError($"keys must be str, int, float, bool or None, not {PyFormat.TypeName(key)}"),
    };

    private void WriteString(string s)
    {
        _sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': _sb.Append("\\\""); break;
                case '\\': _sb.Append("\\\\"); break;
                case '\n': _sb.Append("\\n"); break;
                case '\r': _sb.Append("\\r"); break;
                case '\t': _sb.Append("\\t"); break;
                case '\b': _sb.Append("\\b"); break;
                case '\f': _sb.Append("\\f"); break;
                default:
                    if (c < ' ' || (_ensureAscii && c > '\x7e'))
                    {
                        _sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        _sb.Append(c);
                    }

                    break;
            }
        }

        _sb.Append('"');
    }
}
