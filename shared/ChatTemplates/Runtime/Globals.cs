using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>
/// Functions every template sees: Jinja2's range/dict/namespace/joiner, plus what transformers adds
/// (raise_exception, strftime_now).
/// </summary>
internal static class Globals
{
    /// <summary>The sandbox's MAX_RANGE: larger ranges are refused.</summary>
    private const long MaxRange = 100_000;

    private static readonly Dictionary<string, ICallable> Functions = new(StringComparer.Ordinal)
    {
        ["range"] = new BuiltinFunction("range", (_, args) => Range(args)),
        ["dict"] = new BuiltinFunction("dict", (_, args) => Dict(args)),
        ["namespace"] = new BuiltinFunction("namespace", (_, args) => Namespace(args)),
        ["joiner"] = new BuiltinFunction("joiner", (_, args) => Joiner(args)),
        ["raise_exception"] = new BuiltinFunction("raise_exception", (_, args) => throw new TemplateException(PyFormat.Str(args.Get(0, "message")), TemplateErrorKind.Raised, 0, 0)),
        ["strftime_now"] = new BuiltinFunction("strftime_now", (interp, args) => Strftime.Format(interp.Clock.GetLocalNow(), Methods.RequireString(args.Get(0, "format")))),
    };

    public static bool TryGet(string name, out ICallable? function) => Functions.TryGetValue(name, out function);

    private static List<object?> Range(Arguments args)
    {
        long start = 0;
        long stop;
        long step = 1;
        if (args.Positional.Count == 1)
        {
            stop = PyOps.AsLong(args.Positional[0]);
        }
        else if (args.Positional.Count is 2 or 3)
        {
            start = PyOps.AsLong(args.Positional[0]);
            stop = PyOps.AsLong(args.Positional[1]);
            step = args.Positional.Count == 3 ? PyOps.AsLong(args.Positional[2]) : 1;
        }
        else
        {
            throw PyOps.TypeError($"range expected at most 3 arguments, got {args.Positional.Count}");
        }

        if (step == 0)
        {
            throw PyOps.TypeError("range() arg 3 must not be zero");
        }

        long count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
        if (count > MaxRange)
        {
            throw PyOps.TypeError($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).");
        }

        var result = new List<object?>((int)count);
        for (long i = 0; i < count; i++)
        {
            result.Add(start + (i * step));
        }

        return result;
    }

    private static OrderedDictionary<object, object?> Dict(Arguments args)
    {
        var dict = new OrderedDictionary<object, object?>(PyKeyComparer.Instance);
        if (args.Positional.Count > 0)
        {
            if (args.Positional[0] is OrderedDictionary<object, object?> source)
            {
                foreach (KeyValuePair<object, object?> kv in source)
                {
                    dict[kv.Key] = kv.Value;
                }
            }
            else
            {
                foreach (object? pair in PyOps.Iterate(args.Positional[0]))
                {
                    List<object?> kv = PyOps.ToList(pair);
                    dict[kv[0] ?? throw PyOps.TypeError("None keys are not supported")] = kv[1];
                }
            }
        }

        foreach (KeyValuePair<string, object?> kv in args.Keywords)
        {
            dict[kv.Key] = kv.Value;
        }

        return dict;
    }

    private static NamespaceValue Namespace(Arguments args)
    {
        var ns = new NamespaceValue();
        if (args.Positional.Count > 0 && args.Positional[0] is OrderedDictionary<object, object?> initial)
        {
            foreach (KeyValuePair<object, object?> kv in initial)
            {
                ns.Attributes[PyFormat.Str(kv.Key)] = kv.Value;
            }
        }

        foreach (KeyValuePair<string, object?> kv in args.Keywords)
        {
            ns.Attributes[kv.Key] = kv.Value;
        }

        return ns;
    }

    private static BuiltinFunction Joiner(Arguments args)
    {
        string separator = PyFormat.Str(args.Get(0, "sep", ", "));
        bool used = false;
        return new BuiltinFunction("joiner", (_, _) =>
        {
            if (!used)
            {
                used = true;
                return string.Empty;
            }

            return separator;
        });
    }
}
