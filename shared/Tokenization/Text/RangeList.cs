namespace LlmServe.Tokenization.Text;

/// <summary>A reusable list of [start, end) ranges found by a pattern.</summary>
internal sealed class RangeList
{
    private (int Start, int End)[] _items = new (int, int)[64];

    public int Count { get; private set; }

    public (int Start, int End) this[int index] => _items[index];

    public void Clear() => Count = 0;

    public void Add(int start, int end)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[Count++] = (start, end);
    }
}
