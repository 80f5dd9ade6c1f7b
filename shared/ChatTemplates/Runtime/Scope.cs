namespace LlmServe.ChatTemplates.Runtime;

/// <summary>
/// One frame of variables. Jinja2 gives every loop iteration, macro call and with block its own frame:
/// a set inside them does not leak out, while a set inside an if does. Frames are small (a loop iteration
/// holds the target and <c>loop</c>), so names are kept in a short array until there are many.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private const int InlineCapacity = 8;

    private string[]? _names;
    private object?[]? _values;
    private int _count;
    private Dictionary<string, object?>? _many;

    public Scope? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (Scope? s = this; s is not null; s = s.Parent)
        {
            if (s.TryGetLocal(name, out value))
            {
                return true;
            }
        }

        value = null;
        return false;
    }

    private bool TryGetLocal(string name, out object? value)
    {
        if (_many is not null)
        {
            return _many.TryGetValue(name, out value);
        }

        for (int i = 0; i < _count; i++)
        {
            if (string.Equals(_names![i], name, StringComparison.Ordinal))
            {
                value = _values![i];
                return true;
            }
        }

        value = null;
        return false;
    }

    public void Set(string name, object? value)
    {
        if (_many is not null)
        {
            _many[name] = value;
            return;
        }

        for (int i = 0; i < _count; i++)
        {
            if (string.Equals(_names![i], name, StringComparison.Ordinal))
            {
                _values![i] = value;
                return;
            }
        }

        if (_count == InlineCapacity)
        {
            _many = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int i = 0; i < _count; i++)
            {
                _many[_names![i]] = _values![i];
            }

            _many[name] = value;
            return;
        }

        _names ??= new string[InlineCapacity];
        _values ??= new object?[InlineCapacity];
        _names[_count] = name;
        _values[_count] = value;
        _count++;
    }
}
