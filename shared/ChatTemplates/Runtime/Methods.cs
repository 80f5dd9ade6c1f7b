using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>
/// The Python methods templates call on str, dict and list. Mutating list/dict methods are refused the way
/// transformers' ImmutableSandboxedEnvironment refuses them.
/// </summary>
internal static class Methods
{
    private static readonly HashSet<string> StringMethods =
    [
        "capitalize", "casefold", "center", "count", "endswith", "find", "format", "index", "isalnum", "isalpha",
        "isascii", "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "ljust",
        "lower", "lstrip", "expandtabs", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust",
        "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper",
        "zfill",
    ];

    private static readonly HashSet<string> DictMethods = ["get", "items", "keys", "values", "copy"];

    private static readonly HashSet<string> DictUnsafe = ["clear", "pop", "popitem", "setdefault", "update"];

    private static readonly HashSet<string> ListMethods = ["index", "count", "copy"];

    private static readonly HashSet<string> ListUnsafe = ["append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"];

    /// <summary>What <c>obj.name</c> yields when it names a method: a bound method, an unsafe-undefined, or null.</summary>
    public static object? Lookup(object? target, string name)
    {
        switch (target)
        {
            case string when StringMethods.Contains(name):
            case OrderedDictionary<object, object?> when DictMethods.Contains(name):
            case List<object?> when ListMethods.Contains(name):
            case TupleValue when name is "index" or "count":
                return new BoundMethod(target, name);
            case OrderedDictionary<object, object?> when DictUnsafe.Contains(name):
            case List<object?> when ListUnsafe.Contains(name):
                return Undefined.WithHint($"access to attribute '{name}' of '{PyFormat.TypeName(target)}' object is unsafe.");
            default:
                return null;
        }
    }

    public static object? Invoke(object? target, string name, Arguments args) => target switch
    {
        string s => InvokeString(s, name, args),
        OrderedDictionary<object, object?> d => InvokeDict(d, name, args),
        List<object?> l => InvokeSequence(l, name, args),
        TupleValue t => InvokeSequence(t.Items, name, args),
        _ => throw PyOps.TypeError($"'{PyFormat.TypeName(target)}' object has no method '{name}'"),
    };

    private static object? InvokeDict(OrderedDictionary<object, object?> d, string name, Arguments args)
    {
        switch (name)
        {
            case "get":
                object? key = args.Get(0, "key");
                return key is not null && key is not Undefined && d.TryGetValue(key, out object? v) ? v : args.Get(1, "default");
            case "items":
                return d.Select(kv => (object?)new TupleValue([kv.Key, kv.Value])).ToList();
            case "keys":
                return d.Keys.Cast<object?>().ToList();
            case "values":
                return d.Values.ToList();
            case "copy":
                return new OrderedDictionary<object, object?>(d, PyKeyComparer.Instance);
            default:
                throw PyOps.TypeError($"'dict' object has no attribute '{name}'");
        }
    }

    private static object? InvokeSequence(IReadOnlyList<object?> items, string name, Arguments args)
    {
        switch (name)
        {
            case "index":
                object? wanted = args.Get(0, "value");
                for (int i = 0; i < items.Count; i++)
                {
                    if (PyOps.AreEqual(items[i], wanted))
                    {
                        return (long)i;
                    }
                }

                throw PyOps.TypeError($"{PyFormat.Repr(wanted)} is not in list");
            case "count":
                object? x = args.Get(0, "value");
                return (long)items.Count(item => PyOps.AreEqual(item, x));
            case "copy":
                return items.ToList();
            default:
                throw PyOps.TypeError($"'list' object has no attribute '{name}'");
        }
    }

    private static object? InvokeString(string s, string name, Arguments args)
    {
        switch (name)
        {
            case "startswith":
                return Affix(s, args.Get(0, "prefix"), (a, b) => a.StartsWith(b, StringComparison.Ordinal));
            case "endswith":
                return Affix(s, args.Get(0, "suffix"), (a, b) => a.EndsWith(b, StringComparison.Ordinal));
            case "strip":
                return PyStrings.Strip(s, OptionalChars(args), left: true, right: true);
            case "lstrip":
                return PyStrings.Strip(s, OptionalChars(args), left: true, right: false);
            case "rstrip":
                return PyStrings.Strip(s, OptionalChars(args), left: false, right: true);
            case "split":
                return PyStrings.Split(s, args.Get(0, "sep") as string, MaxSplit(args));
            case "rsplit":
                return PyStrings.RSplit(s, args.Get(0, "sep") as string, MaxSplit(args));
            case "splitlines":
                return PyStrings.SplitLines(s, PyOps.IsTrue(args.Get(0, "keepends", false))).Cast<object?>().ToList();
            case "upper":
                return PyStrings.Upper(s);
            case "expandtabs":
                return PyStrings.ExpandTabs(s, (int)PyOps.AsLong(args.Get(0, "tabsize", 8L)));
            case "lower":
            case "casefold":
                return s.ToLowerInvariant();
            case "title":
                return PyStrings.Title(s);
            case "capitalize":
                return s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();
            case "swapcase":
                return new string(s.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)).ToArray());
            case "replace":
                return PyStrings.Replace(s, RequireString(args.Get(0, "old")), RequireString(args.Get(1, "new")), args.Has(2, "count") ? PyOps.AsLong(args.Get(2, "count")) : -1);
            case "find":
                return (long)s.IndexOf(RequireString(args.Get(0, "sub")), StringComparison.Ordinal);
            case "rfind":
                return (long)s.LastIndexOf(RequireString(args.Get(0, "sub")), StringComparison.Ordinal);
            case "index":
            case "rindex":
                string sub = RequireString(args.Get(0, "sub"));
                int at = name == "index" ? s.IndexOf(sub, StringComparison.Ordinal) : s.LastIndexOf(sub, StringComparison.Ordinal);
                return at >= 0 ? (long)at : throw PyOps.TypeError("substring not found");
            case "count":
                return (long)PyStrings.Count(s, RequireString(args.Get(0, "sub")));
            case "join":
                return string.Join(s, PyOps.Iterate(args.Get(0, "iterable")).Select(x => x as string ?? throw PyOps.TypeError($"sequence item: expected str instance, {PyFormat.TypeName(x)} found")));
            case "format":
                return PyStrings.Format(s, args);
            case "removeprefix":
                string prefix = RequireString(args.Get(0, "prefix"));
                return s.StartsWith(prefix, StringComparison.Ordinal) ? s[prefix.Length..] : s;
            case "removesuffix":
                string suffix = RequireString(args.Get(0, "suffix"));
                return suffix.Length > 0 && s.EndsWith(suffix, StringComparison.Ordinal) ? s[..^suffix.Length] : s;
            case "partition":
            case "rpartition":
                string sep = RequireString(args.Get(0, "sep"));
                int p = name == "partition" ? s.IndexOf(sep, StringComparison.Ordinal) : s.LastIndexOf(sep, StringComparison.Ordinal);
                if (p < 0)
                {
                    return name == "partition" ? new TupleValue([s, string.Empty, string.Empty]) : new TupleValue([string.Empty, string.Empty, s]);
                }

                return new TupleValue([s[..p], sep, s[(p + sep.Length)..]]);
            case "center":
            case "ljust":
            case "rjust":
                return Justify(s, name, (int)PyOps.AsLong(args.Get(0, "width")), args.Get(1, "fillchar", " ") as string ?? " ");
            case "zfill":
                int width = (int)PyOps.AsLong(args.Get(0, "width"));
                if (s.Length >= width)
                {
                    return s;
                }

                bool sign = s.Length > 0 && (s[0] == '-' || s[0] == '+');
                return sign ? s[0] + new string('0', width - s.Length) + s[1..] : new string('0', width - s.Length) + s;
            case "isdigit" or "isdecimal" or "isnumeric":
                return s.Length > 0 && s.All(char.IsDigit);
            case "isalpha":
                return s.Length > 0 && s.All(char.IsLetter);
            case "isalnum":
                return s.Length > 0 && s.All(char.IsLetterOrDigit);
            case "isascii":
                return s.All(c => c < 0x80);
            case "isspace":
                return s.Length > 0 && s.All(Lexing.Lexer.IsPyWhiteSpace);
            case "islower":
                return s.Any(char.IsLetter) && !s.Any(char.IsUpper);
            case "isupper":
                return s.Any(char.IsLetter) && !s.Any(char.IsLower);
            case "istitle":
                return s.Length > 0 && PyStrings.Title(s) == s && s.Any(char.IsLetter);
            default:
                throw PyOps.TypeError($"'str' object has no attribute '{name}'");
        }
    }

    private static string Justify(string s, string how, int width, string fill)
    {
        if (s.Length >= width)
        {
            return s;
        }

        char f = fill.Length > 0 ? fill[0] : ' ';
        int pad = width - s.Length;
        return how switch
        {
            "ljust" => s + new string(f, pad),
            "rjust" => new string(f, pad) + s,
            _ => CenterText(s, pad, f),
        };
    }

    /// <summary>Python's str.center puts the extra pad character on the left when both pad and width are odd.</summary>
    private static string CenterText(string s, int pad, char f)
    {
        int left = (pad / 2) + (pad & s.Length & 1);
        return new string(f, left) + s + new string(f, pad - left);
    }

    private static bool Affix(string s, object? affix, Func<string, string, bool> test) => affix switch
    {
        string a => test(s, a),
        TupleValue t => t.Items.Any(x => test(s, RequireString(x))),
        _ => throw PyOps.TypeError($"startswith first arg must be str or a tuple of str, not {PyFormat.TypeName(affix)}"),
    };

    private static string? OptionalChars(Arguments args)
    {
        object? chars = args.Get(0, "chars");
        return chars switch
        {
            null => null,
            string c => c,
            _ => throw PyOps.TypeError($"strip arg must be None or str, not {PyFormat.TypeName(chars)}"),
        };
    }

    private static long MaxSplit(Arguments args) => args.Has(1, "maxsplit") ? PyOps.AsLong(args.Get(1, "maxsplit")) : -1;

    internal static string RequireString(object? value) =>
        value as string ?? throw PyOps.TypeError($"must be str, not {PyFormat.TypeName(value)}");
}
