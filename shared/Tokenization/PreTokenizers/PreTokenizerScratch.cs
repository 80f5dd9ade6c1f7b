using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>Per-thread buffers the pre-tokenizers reuse.</summary>
internal sealed class PreTokenizerScratch
{
    private readonly Stack<PieceBuffer> _spare = new();

    public RangeList Matches { get; } = new();

    public SegmentList Segments { get; } = new();

    public CharBuffer Chars { get; } = new();

    public byte[] Bytes { get; set; } = new byte[1024];

    public PieceBuffer RentPieces() => _spare.Count > 0 ? _spare.Pop() : new PieceBuffer();

    public void ReturnPieces(PieceBuffer buffer)
    {
        buffer.Clear();
        _spare.Push(buffer);
    }
}
