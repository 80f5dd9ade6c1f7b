using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>Jinja2's builtin filters (as of 3.1) that make sense without autoescaping, plus transformers' tojson.</summary>
internal static partial class Filters
{
    private delegate object? Filter(Interpreter interp, object? value, Arguments args);

    private static readonly Dictionary<string, Filter> Table = new(StringComparer.Ordinal)
    {
        ["abs"] = (_, v, _) => v switch
        {
            long l => (object)Math.Abs(l),
            double d => Math.Abs(d),
            bool b => b ? 1L : 0L,
            _ => throw PyOps.TypeError($"bad operand type for abs(): '{PyFormat.TypeName(v)}'"),
        },
        ["attr"] = (_, v, a) => Attr(v, Methods.RequireString(a.Get(0, "name"))),
        ["batch"] = (_, v, a) => Batch(v, (int)PyOps.AsLong(a.Get(0, "linecount")), a.Has(1, "fill_with"), a.Get(1, "fill_with")),
        ["capitalize"] = (_, v, _) => Capitalize(SoftStr(v)),
        ["center"] = (_, v, a) => Methods.Invoke(SoftStr(v), "center", Arguments.Of(a.Get(0, "width", 80L))),
        ["count"] = (_, v, _) => (long)PyOps.Length(v),
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = DictSort,
        ["e"] = (_, v, _) => Escape(v),
        ["escape"] = (_, v, _) => Escape(v),
        ["forceescape"] = (_, v, _) => Escape(v),
        ["first"] = (_, v, _) => PyOps.Iterate(v).Take(1).ToList() is { Count: 1 } f ? f[0] : Undefined.WithHint("No first item, sequence was empty."),
        ["float"] = (_, v, a) => ToFloat(v, a.Get(0, "default", 0.0)),
        ["format"] = (_, v, a) => PercentFormat.Format(SoftStr(v), a.Keywords.Count > 0 ? KeywordDict(a) : new TupleValue([.. a.Positional])),
        ["groupby"] = GroupBy,
        ["indent"] = Indent,
        ["int"] = (_, v, a) => ToInt(v, a.Get(0, "default", 0L), (int)PyOps.AsLong(a.Get(1, "base", 10L))),
        ["items"] = (_, v, _) => v switch
        {
            Undefined => new List<object?>(),
            OrderedDictionary<object, object?> d => d.Select(kv => (object?)new TupleValue([kv.Key, kv.Value])).ToList(),
            _ => throw PyOps.TypeError("Can only get item pairs from a mapping."),
        },
        ["join"] = Join,
        ["last"] = (_, v, _) => PyOps.ToList(v) is { Count: > 0 } l ? l[^1] : Undefined.WithHint("No last item, sequence was empty."),
        ["length"] = (_, v, _) => (long)PyOps.Length(v),
        ["list"] = (_, v, _) => PyOps.Iterate(v).ToList(),
        ["lower"] = (_, v, _) => SoftStr(v).ToLowerInvariant(),
        ["map"] = Map,
        ["max"] = (i, v, a) => MinMax(v, a, max: true),
        ["min"] = (i, v, a) => MinMax(v, a, max: false),
        ["pprint"] = (_, v, _) => PyFormat.Repr(v),
        ["reject"] = (i, v, a) => Select(i, v, a, expected: false, byAttribute: false),
        ["rejectattr"] = (i, v, a) => Select(i, v, a, expected: false, byAttribute: true),
        ["replace"] = (_, v, a) => PyStrings.Replace(SoftStr(v), SoftStr(a.Get(0, "old")), SoftStr(a.Get(1, "new")), a.Get(2, "count") is null ? -1 : PyOps.AsLong(a.Get(2, "count"))),
        ["reverse"] = (_, v, _) => v is string s ? (object)Access.Slice(s, null, null, -1L)! : Enumerable.Reverse(PyOps.ToList(v)).ToList(),
        ["round"] = Round,
        ["safe"] = (_, v, _) => SoftStr(v),
        ["select"] = (i, v, a) => Select(i, v, a, expected: true, byAttribute: false),
        ["selectattr"] = (i, v, a) => Select(i, v, a, expected: true, byAttribute: true),
        ["sort"] = Sort,
        ["string"] = (_, v, _) => SoftStr(v),
        ["striptags"] = (_, v, _) => string.Join(' ', TagPattern().Replace(SoftStr(v), string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)),
        ["sum"] = Sum,
        ["title"] = (_, v, _) => Title(SoftStr(v)),
        ["tojson"] = (_, v, a) => ToJson(v, a),
        ["trim"] = (_, v, a) => PyStrings.Strip(SoftStr(v), a.Get(0, "chars") as string, left: true, right: true),
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["upper"] = (_, v, _) => PyStrings.Upper(SoftStr(v)),
        ["wordcount"] = (_, v, _) => (long)WordPattern().Count(SoftStr(v)),
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static object? Apply(Interpreter interp, string name, object? value, Arguments args)
    {
        if (!Table.TryGetValue(name, out Filter? filter))
        {
            throw new TemplateException($"No filter named '{name}' found.", TemplateErrorKind.Runtime, 0, 0);
        }

        return filter(interp, value, args);
    }

    /// <summary>transformers: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).</summary>
    private static string ToJson(object? value, Arguments args) =>
        new JsonDumper(args.Get(1, "indent"), args.Get(2, "separators"), PyOps.IsTrue(args.Get(3, "sort_keys", false)), PyOps.IsTrue(args.Get(0, "ensure_ascii", false)))
            .Dump(value);

    /// <summary>Jinja2's do_attr: attribute lookup only, never the item fallback.</summary>
    private static object? Attr(object? value, string name)
    {
        if (value is Undefined u)
        {
            throw u.Fail();
        }

        return value switch
        {
            _ when name.StartsWith('_') => Undefined.WithHint($"access to attribute '{name}' of '{PyFormat.TypeName(value)}' object is unsafe."),
            NamespaceValue ns when ns.Attributes.TryGetValue(name, out object? attr) => attr,
            LoopContext loop => loop.GetAttribute(name),
            _ => Methods.Lookup(value, name) ?? Undefined.MissingAttribute(value, name),
        };
    }

    /// <summary>Jinja2's soft_str: str() of anything, "" for undefined.</summary>
    public static string SoftStr(object? value) => PyFormat.Str(value);

    private static object? Default(Interpreter interp, object? value, Arguments args)
    {
        bool boolean = PyOps.IsTrue(args.Get(1, "boolean", false));
        return value is Undefined || (boolean && !PyOps.IsTrue(value)) ? args.Get(0, "default_value", string.Empty) : value;
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Jinja2's do_title: capitalise after any of "-", whitespace, brackets, unlike str.title.</summary>
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (string item in WordBeginningSplit().Split(s))
        {
            if (item.Length > 0)
            {
                sb.Append(char.ToUpperInvariant(item[0])).Append(item[1..].ToLowerInvariant());
            }
        }

        return sb.ToString();
    }

    private static string Escape(object? value) => SoftStr(value)
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&#34;", StringComparison.Ordinal)
        .Replace("'", "&#39;", StringComparison.Ordinal);

    private static object? ToFloat(object? value, object? fallback)
    {
        switch (value)
        {
            case double d:
                return d;
            case long or bool:
                return PyOps.AsDouble(value);
            case string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed):
                return parsed;
            default:
                return fallback;
        }
    }

    private static object? ToInt(object? value, object? fallback, int numberBase)
    {
        switch (value)
        {
            case long or bool:
                return PyOps.AsLong(value);
            case double d when !double.IsNaN(d) && !double.IsInfinity(d):
                return (long)Math.Truncate(d);
            case string s:
                string t = s.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
                try
                {
                    if (numberBase == 10 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed))
                    {
                        return parsed;
                    }

                    if (numberBase != 10)
                    {
                        return Convert.ToInt64(t, numberBase);
                    }
                }
                catch (FormatException)
                {
                    return fallback;
                }

                return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && !double.IsInfinity(f) && !double.IsNaN(f)
                    ? (long)Math.Truncate(f)
                    : fallback;
            default:
                return fallback;
        }
    }

    private static OrderedDictionary<object, object?> KeywordDict(Arguments args)
    {
        var dict = new OrderedDictionary<object, object?>(PyKeyComparer.Instance);
        foreach (KeyValuePair<string, object?> kv in args.Keywords)
        {
            dict[kv.Key] = kv.Value;
        }

        return dict;
    }

    private static object? Indent(Interpreter interp, object? value, Arguments args)
    {
        object? width = args.Get(0, "width", 4L);
        string indentation = width is string w ? w : new string(' ', (int)Math.Max(0, PyOps.AsLong(width)));
        bool first = PyOps.IsTrue(args.Get(1, "first", false));
        bool blank = PyOps.IsTrue(args.Get(2, "blank", false));
        string s = SoftStr(value) + "\n";
        List<string> lines = PyStrings.SplitLines(s, keepEnds: false);
        string rv;
        if (blank)
        {
            rv = string.Join("\n" + indentation, lines);
        }
        else
        {
            rv = lines.Count > 0 ? lines[0] : string.Empty;
            if (lines.Count > 1)
            {
                rv += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? indentation + line : line));
            }
        }

        return first ? indentation + rv : rv;
    }

    private static object? Join(Interpreter interp, object? value, Arguments args)
    {
        string separator = SoftStr(args.Get(0, "d", string.Empty));
        object? attribute = args.Get(1, "attribute");
        IEnumerable<object?> items = PyOps.Iterate(value);
        if (attribute is not null)
        {
            items = items.Select(AttributeGetter(attribute, null));
        }

        return string.Join(separator, items.Select(SoftStr));
    }

    /// <summary>Jinja2's make_attrgetter: "a.b.0" walks items, digits index sequences.</summary>
    internal static Func<object?, object?> AttributeGetter(object? attribute, object? fallback)
    {
        object?[] parts = attribute is string path
            ? path.Split('.').Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? (object?)n : p).ToArray()
            : [attribute];
        return item =>
        {
            foreach (object? part in parts)
            {
                item = Access.GetItem(item, part);
            }

            return item is Undefined && fallback is not null ? fallback : item;
        };
    }

    private static object? Map(Interpreter interp, object? value, Arguments args)
    {
        IEnumerable<object?> items = PyOps.Iterate(value);
        if (args.Positional.Count == 0 && args.Has(-1, "attribute"))
        {
            return items.Select(AttributeGetter(args.Get(-1, "attribute"), args.Get(-1, "default"))).ToList();
        }

        if (args.Positional.Count == 0)
        {
            return items.ToList();
        }

        string filter = Methods.RequireString(args.Positional[0]);
        Arguments rest = args.Skip(1);
        return items.Select(item => Apply(interp, filter, item, rest)).ToList();
    }

    private static List<object?> Select(Interpreter interp, object? value, Arguments args, bool expected, bool byAttribute)
    {
        int offset = 0;
        Func<object?, object?> getter = x => x;
        if (byAttribute)
        {
            getter = AttributeGetter(args.Get(0, "attribute"), null);
            offset = 1;
        }

        string? test = args.Positional.Count > offset ? Methods.RequireString(args.Positional[offset]) : null;
        Arguments testArgs = args.Skip(offset + 1);
        var result = new List<object?>();
        foreach (object? item in PyOps.Iterate(value))
        {
            object? subject = getter(item);
            bool passed = test is null ? PyOps.IsTrue(subject) : Tests.Apply(interp, test, subject, new Arguments(testArgs.Positional, []));
            if (passed == expected)
            {
                result.Add(item);
            }
        }

        return result;
    }

    private static object? SortKey(object? item, bool caseSensitive) =>
        !caseSensitive && item is string s ? s.ToLowerInvariant() : item;

    private static object? Sort(Interpreter interp, object? value, Arguments args)
    {
        bool reverse = PyOps.IsTrue(args.Get(0, "reverse", false));
        bool caseSensitive = PyOps.IsTrue(args.Get(1, "case_sensitive", false));
        object? attribute = args.Get(2, "attribute");
        Func<object?, object?> getter = attribute is null ? x => x : AttributeGetter(attribute, null);
        List<object?> items = [.. PyOps.Iterate(value)];
        List<object?> sorted = items
            .Select((item, index) => (item, index, key: SortKey(getter(item), caseSensitive)))
            .Order(Comparer<(object? Item, int Index, object? Key)>.Create((x, y) =>
            {
                int c = PyOps.Compare(x.Key, y.Key, "<");
                return c != 0 ? (reverse ? -c : c) : x.Index.CompareTo(y.Index);
            }))
            .Select(t => t.Item1)
            .ToList();
        return sorted;
    }

    /// <summary>Jinja2's groupby: stable sort by the attribute, then _GroupTuple(grouper, list) per run of equal keys.</summary>
    private static object? GroupBy(Interpreter interp, object? value, Arguments args)
    {
        object? attribute = args.Get(0, "attribute");
        object? fallback = args.Get(1, "default");
        bool caseSensitive = PyOps.IsTrue(args.Get(2, "case_sensitive", false));
        Func<object?, object?> getter = AttributeGetter(attribute, fallback);
        List<object?> sorted = [.. PyOps.Iterate(value)
            .Select((item, index) => (Item: item, Index: index, Key: SortKey(getter(item), caseSensitive)))
            .Order(Comparer<(object? Item, int Index, object? Key)>.Create((x, y) =>
            {
                int c = PyOps.Compare(x.Key, y.Key, "<");
                return c != 0 ? c : x.Index.CompareTo(y.Index);
            }))
            .Select(t => t.Item)];
        var groups = new List<object?>();
        List<object?>? current = null;
        object? currentKey = null;
        foreach (object? item in sorted)
        {
            object? key = SortKey(getter(item), caseSensitive);
            if (current is null || !PyOps.AreEqual(key, currentKey))
            {
                current = [];
                currentKey = key;
                groups.Add(current);
            }

            current.Add(item);
        }

        return groups.Select(g => (object?)new TupleValue([getter(((List<object?>)g!)[0]), g], "_GroupTuple", ["grouper", "list"])).ToList();
    }

    private static object? DictSort(Interpreter interp, object? value, Arguments args)
    {
        if (value is not OrderedDictionary<object, object?> dict)
        {
            throw PyOps.TypeError("dictsort needs a mapping");
        }

        bool caseSensitive = PyOps.IsTrue(args.Get(0, "case_sensitive", false));
        string by = SoftStr(args.Get(1, "by", "key"));
        bool reverse = PyOps.IsTrue(args.Get(2, "reverse", false));
        var pairs = dict.Select(kv => (object?)new TupleValue([kv.Key, kv.Value])).ToList();
        int position = by == "value" ? 1 : 0;
        return pairs
            .Order(Comparer<object?>.Create((x, y) =>
            {
                int c = PyOps.Compare(SortKey(((TupleValue)x!)[position], caseSensitive), SortKey(((TupleValue)y!)[position], caseSensitive), "<");
                return reverse ? -c : c;
            }))
            .ToList();
    }

    private static object? Unique(Interpreter interp, object? value, Arguments args)
    {
        bool caseSensitive = PyOps.IsTrue(args.Get(0, "case_sensitive", false));
        object? attribute = args.Get(1, "attribute");
        Func<object?, object?> getter = attribute is null ? x => x : AttributeGetter(attribute, null);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (object? item in PyOps.Iterate(value))
        {
            object? key = SortKey(getter(item), caseSensitive);
            if (!seen.Any(s => PyOps.AreEqual(s, key)))
            {
                seen.Add(key);
                result.Add(item);
            }
        }

        return result;
    }

    private static object? MinMax(object? value, Arguments args, bool max)
    {
        bool caseSensitive = PyOps.IsTrue(args.Get(0, "case_sensitive", false));
        object? attribute = args.Get(1, "attribute");
        Func<object?, object?> getter = attribute is null ? x => x : AttributeGetter(attribute, null);
        object? best = null;
        object? bestKey = null;
        bool any = false;
        foreach (object? item in PyOps.Iterate(value))
        {
            object? key = SortKey(getter(item), caseSensitive);
            if (!any || (max ? PyOps.Compare(key, bestKey, ">") > 0 : PyOps.Compare(key, bestKey, "<") < 0))
            {
                best = item;
                bestKey = key;
                any = true;
            }
        }

        return any ? best : Undefined.WithHint($"No aggregated item, sequence was empty.");
    }

    private static object? Sum(Interpreter interp, object? value, Arguments args)
    {
        object? attribute = args.Get(0, "attribute");
        Func<object?, object?> getter = attribute is null ? x => x : AttributeGetter(attribute, null);
        object? total = args.Get(1, "start", 0L);
        foreach (object? item in PyOps.Iterate(value))
        {
            total = PyOps.Binary("+", total, getter(item));
        }

        return total;
    }

    private static object? Round(Interpreter interp, object? value, Arguments args)
    {
        int precision = (int)PyOps.AsLong(args.Get(0, "precision", 0L));
        string method = SoftStr(args.Get(1, "method", "common"));
        if (method == "common" && PyOps.IsInteger(value))
        {
            return PyOps.AsLong(value);
        }

        double x = PyOps.AsDouble(value);
        double scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => PyRound.Round(x, precision),
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw PyOps.TypeError("method must be common, ceil or floor"),
        };
    }

    private static object? Batch(object? value, int lineCount, bool fill, object? fillWith)
    {
        if (lineCount <= 0)
        {
            throw PyOps.TypeError("batch size must be positive");
        }

        var result = new List<object?>();
        List<object?>? current = null;
        foreach (object? item in PyOps.Iterate(value))
        {
            current ??= [];
            current.Add(item);
            if (current.Count == lineCount)
            {
                result.Add(current);
                current = null;
            }
        }

        if (current is not null)
        {
            while (fill && current.Count < lineCount)
            {
                current.Add(fillWith);
            }

            result.Add(current);
        }

        return result;
    }

    private static object? Truncate(Interpreter interp, object? value, Arguments args)
    {
        string s = SoftStr(value);
        int length = (int)PyOps.AsLong(args.Get(0, "length", 255L));
        bool killWords = PyOps.IsTrue(args.Get(1, "killwords", false));
        string end = SoftStr(args.Get(2, "end", "..."));
        int leeway = (int)PyOps.AsLong(args.Get(3, "leeway", 5L) ?? 5L);
        if (s.Length <= length + leeway)
        {
            return s;
        }

        if (killWords)
        {
            return s[..Math.Max(0, length - end.Length)] + end;
        }

        string cut = s[..Math.Max(0, length - end.Length)];
        int space = cut.LastIndexOf(' ');
        return (space >= 0 ? cut[..space] : string.Empty) + end;
    }

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginningSplit();

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"(<!--.*?-->|<[^>]*>)", RegexOptions.Singleline)]
    private static partial Regex TagPattern();
}
