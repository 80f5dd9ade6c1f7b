using System.Collections;

namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary>A Python tuple: immutable, printed with parentheses, unequal to a list.</summary>
internal sealed class TupleValue(object?[] items) : IReadOnlyList<object?>
{
    public static readonly TupleValue Empty = new([]);

    public object?[] Items { get; } = items;

    public int Count => Items.Length;

    public object? this[int index] => Items[index];

    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => Items.GetEnumerator();
}
