namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary>Evaluated call arguments, with Python-style binding helpers for builtins.</summary>
internal sealed class Arguments(List<object?> positional, List<KeyValuePair<string, object?>> keywords)
{
    public static readonly Arguments None = new([], []);

    public List<object?> Positional { get; } = positional;

    public List<KeyValuePair<string, object?>> Keywords { get; } = keywords;

    public int Count => Positional.Count + Keywords.Count;

    /// <summary>The argument at <paramref name="index"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int index, string name, object? fallback = null)
    {
        if (index >= 0 && index < Positional.Count)
        {
            return Positional[index];
        }

        foreach (KeyValuePair<string, object?> kv in Keywords)
        {
            if (kv.Key == name)
            {
                return kv.Value;
            }
        }

        return fallback;
    }

    public bool Has(int index, string name)
    {
        if (index >= 0 && index < Positional.Count)
        {
            return true;
        }

        foreach (KeyValuePair<string, object?> kv in Keywords)
        {
            if (kv.Key == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Arguments after the first <paramref name="skip"/> positional ones (for tests/filters passed on).</summary>
    public Arguments Skip(int skip) =>
        new(Positional.Count > skip ? Positional.GetRange(skip, Positional.Count - skip) : [], Keywords);

    public static Arguments Of(params object?[] values) => new([.. values], []);
}
