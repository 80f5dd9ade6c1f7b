namespace LlmServe.Tokenization.Text;

/// <summary>
/// The pre-tokenized state of one text segment: a char store and the pieces (ranges into it) that the model
/// will tokenize one by one. Pre-tokenizers read one buffer and write another, so nothing is allocated per piece.
/// </summary>
internal sealed class PieceBuffer
{
    private char[] _chars = new char[512];
    private int _charCount;
    private Piece[] _pieces = new Piece[64];

    public int Count { get; private set; }

    public void Clear()
    {
        _charCount = 0;
        Count = 0;
    }

    public ReadOnlySpan<char> this[int index]
    {
        get
        {
            ref readonly Piece p = ref _pieces[index];
            return _chars.AsSpan(p.Start, p.Length);
        }
    }

    /// <summary>Whether the piece begins at offset 0 of the original input (Metaspace's prepend_scheme "first").</summary>
    public bool IsAtInputStart(int index) => _pieces[index].AtInputStart;

    public void Add(ReadOnlySpan<char> text, bool atInputStart)
    {
        if (text.IsEmpty)
        {
            return;
        }

        int start = Reserve(text.Length);
        text.CopyTo(_chars.AsSpan(start));
        Commit(start, text.Length, atInputStart);
    }

    /// <summary>Reserves room for <paramref name="length"/> chars; write them, then call <see cref="Commit"/>.</summary>
    public int Reserve(int length)
    {
        if (_charCount + length > _chars.Length)
        {
            Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _charCount + length));
        }

        return _charCount;
    }

    public Span<char> WritableAt(int start, int length) => _chars.AsSpan(start, length);

    public void Commit(int start, int length, bool atInputStart)
    {
        if (length == 0)
        {
            return;
        }

        if (Count == _pieces.Length)
        {
            Array.Resize(ref _pieces, _pieces.Length * 2);
        }

        _pieces[Count++] = new Piece(start, length, atInputStart);
        _charCount = start + length;
    }

    private readonly record struct Piece(int Start, int Length, bool AtInputStart);
}
