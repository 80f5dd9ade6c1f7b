namespace LlmServe.Tokenization.Text;

/// <summary>A growable list of token ids reused across encodes on one thread.</summary>
internal sealed class IdBuffer
{
    private int[] _ids = new int[256];

    public int Count { get; private set; }

    public ReadOnlySpan<int> Span => _ids.AsSpan(0, Count);

    public void Clear() => Count = 0;

    public void Add(int id)
    {
        if (Count == _ids.Length)
        {
            Array.Resize(ref _ids, _ids.Length * 2);
        }

        _ids[Count++] = id;
    }

    public void AddRange(ReadOnlySpan<int> ids)
    {
        if (Count + ids.Length > _ids.Length)
        {
            Array.Resize(ref _ids, Math.Max(_ids.Length * 2, Count + ids.Length));
        }

        ids.CopyTo(_ids.AsSpan(Count));
        Count += ids.Length;
    }
}
