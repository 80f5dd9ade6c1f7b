namespace LlmServe.ChatTemplates.Runtime;

/// <summary>
/// One frame of variables. Jinja2 gives every loop iteration, macro call and with block its own frame:
/// a set inside them does not leak out, while a set inside an if does.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (Scope? s = this; s is not null; s = s.Parent)
        {
            if (s._vars.TryGetValue(name, out value))
            {
                return true;
            }
        }

        value = null;
        return false;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}
