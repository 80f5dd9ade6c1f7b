using System.Collections;

namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary>
/// A Python tuple: immutable, printed with parentheses, unequal to a list. With <see cref="Fields"/> it is a
/// named tuple (groupby's <c>_GroupTuple(grouper, list)</c>) whose items are also attributes; it prints as a plain tuple, as Jinja2's does.
/// </summary>
internal sealed class TupleValue(object?[] items, string? typeName = null, string[]? fields = null) : IReadOnlyList<object?>
{
    public static readonly TupleValue Empty = new([]);

    public object?[] Items { get; } = items;

    public string? TypeName { get; } = typeName;

    public string[]? Fields { get; } = fields;

    public int Count => Items.Length;

    public object? this[int index] => Items[index];

    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => Items.GetEnumerator();
}
