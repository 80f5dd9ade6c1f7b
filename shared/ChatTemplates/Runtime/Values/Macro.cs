using System.Text;
using LlmServe.ChatTemplates.Syntax;

namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary>A <c>{% macro %}</c> (or the body of a call block) closed over the scope it was defined in.</summary>
internal sealed class Macro(string name, IReadOnlyList<MacroParam> parameters, IReadOnlyList<Stmt> body, Scope closure) : ICallable
{
    public string Name { get; } = name;

    public object? Call(Interpreter interpreter, Arguments args)
    {
        // Deep macro recursion must end as a TemplateException, not a stack overflow of the whole process.
        using Interpreter.CallDepthScope depth = interpreter.EnterCall();
        var scope = new Scope(closure);
        int positional = 0;
        var extra = new List<object?>();
        var usedKeywords = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < parameters.Count; i++)
        {
            MacroParam p = parameters[i];
            object? value;
            if (positional < args.Positional.Count)
            {
                value = args.Positional[positional++];
            }
            else if (TryKeyword(args, p.Name, out object? kw))
            {
                value = kw;
                usedKeywords.Add(p.Name);
            }
            else
            {
                value = p.Default is null ? Undefined.WithHint($"parameter '{p.Name}' was not provided") : interpreter.Evaluate(p.Default, scope);
            }

            scope.Set(p.Name, value);
        }

        while (positional < args.Positional.Count)
        {
            extra.Add(args.Positional[positional++]);
        }

        var kwargs = new OrderedDictionary<object, object?>(PyKeyComparer.Instance);
        foreach (KeyValuePair<string, object?> kv in args.Keywords)
        {
            if (kv.Key == "caller")
            {
                scope.Set("caller", kv.Value);
            }
            else if (!usedKeywords.Contains(kv.Key))
            {
                kwargs[kv.Key] = kv.Value;
            }
        }

        scope.Set("varargs", new TupleValue([.. extra]));
        scope.Set("kwargs", kwargs);
        var output = new StringBuilder();
        interpreter.ExecuteBody(body, scope, output);
        return output.ToString();
    }

    private static bool TryKeyword(Arguments args, string name, out object? value)
    {
        foreach (KeyValuePair<string, object?> kv in args.Keywords)
        {
            if (kv.Key == name)
            {
                value = kv.Value;
                return true;
            }
        }

        value = null;
        return false;
    }
}
