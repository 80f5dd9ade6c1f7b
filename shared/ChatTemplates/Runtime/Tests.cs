using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>Jinja2's builtin tests (<c>x is defined</c>, <c>x is divisibleby 3</c>...).</summary>
internal static class Tests
{
    private delegate bool Test(Interpreter interp, object? value, Arguments args);

    private static readonly Dictionary<string, Test> Table = new(StringComparer.Ordinal)
    {
        ["boolean"] = (_, v, _) => v is bool,
        ["callable"] = (_, v, _) => v is ICallable || (v is LoopContext l && l.Recurse is not null),
        ["defined"] = (_, v, _) => v is not Undefined,
        ["divisibleby"] = (_, v, a) => PyOps.AreEqual(PyOps.Binary("%", v, a.Get(0, "num")), 0L),
        ["eq"] = Compare("=="),
        ["equalto"] = Compare("=="),
        ["=="] = Compare("=="),
        ["escaped"] = (_, _, _) => false,
        ["even"] = (_, v, _) => PyOps.AsLong(v) % 2 == 0,
        ["false"] = (_, v, _) => v is false,
        ["filter"] = (_, v, _) => v is string s && Filters.Exists(s),
        ["float"] = (_, v, _) => v is double,
        ["ge"] = Compare(">="),
        [">="] = Compare(">="),
        ["gt"] = Compare(">"),
        ["greaterthan"] = Compare(">"),
        [">"] = Compare(">"),
        ["in"] = (_, v, a) => PyOps.Contains(a.Get(0, "seq"), v),
        ["integer"] = (_, v, _) => v is long,
        ["iterable"] = (_, v, _) => v is string or List<object?> or TupleValue or OrderedDictionary<object, object?> or Undefined,
        ["le"] = Compare("<="),
        ["<="] = Compare("<="),
        ["lower"] = (_, v, _) => PyFormat.Str(v) is var s && s.Any(char.IsLetter) && !s.Any(char.IsUpper),
        ["lt"] = Compare("<"),
        ["lessthan"] = Compare("<"),
        ["<"] = Compare("<"),
        ["mapping"] = (_, v, _) => v is OrderedDictionary<object, object?>,
        ["ne"] = Compare("!="),
        ["!="] = Compare("!="),
        ["none"] = (_, v, _) => v is null,
        ["number"] = (_, v, _) => PyOps.IsNumber(v),
        ["odd"] = (_, v, _) => PyOps.AsLong(v) % 2 != 0,
        ["sameas"] = (_, v, a) => SameAs(v, a.Get(0, "other")),
        ["sequence"] = (_, v, _) => v is string or List<object?> or TupleValue or OrderedDictionary<object, object?>,
        ["string"] = (_, v, _) => v is string,
        ["test"] = (_, v, _) => v is string s && Table!.ContainsKey(s),
        ["true"] = (_, v, _) => v is true,
        ["undefined"] = (_, v, _) => v is Undefined,
        ["upper"] = (_, v, _) => PyFormat.Str(v) is var s && s.Any(char.IsLetter) && !s.Any(char.IsLower),
    };

    public static bool Exists(string name) => Table.ContainsKey(name);

    public static bool Apply(Interpreter interp, string name, object? value, Arguments args)
    {
        if (!Table.TryGetValue(name, out Test? test))
        {
            throw new TemplateException($"No test named '{name}' found.", TemplateErrorKind.Runtime, 0, 0);
        }

        return test(interp, value, args);
    }

    private static Test Compare(string op) => (_, v, a) => Interpreter.CompareOnce(op, v, a.Get(0, "other"));

    /// <summary>Python's <c>is</c>: identity; None/True/False and small ints are singletons in CPython.</summary>
    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y && x >= -5 && x <= 256,
        (string x, string y) => ReferenceEquals(x, y),
        _ => a is not null && ReferenceEquals(a, b),
    };
}
