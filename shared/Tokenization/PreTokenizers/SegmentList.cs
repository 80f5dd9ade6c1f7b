namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>Consecutive [start, end) segments of a piece, each flagged as a pattern match or not.</summary>
internal sealed class SegmentList
{
    private Segment[] _items = new Segment[64];

    public int Count { get; private set; }

    public ref Segment this[int index] => ref _items[index];

    public void Clear() => Count = 0;

    public void Add(int start, int end, bool isMatch)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[Count++] = new Segment { Start = start, End = end, IsMatch = isMatch };
    }

    internal struct Segment
    {
        public int Start;
        public int End;
        public bool IsMatch;
    }
}
