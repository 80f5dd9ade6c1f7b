using LlmServe.Tokenization.AddedTokens;
using LlmServe.Tokenization.PreTokenizers;
using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization;

/// <summary>Buffers one thread reuses for every encode, so encoding allocates nothing per piece.</summary>
internal sealed class EncodeWorkspace
{
    [ThreadStatic]
    private static EncodeWorkspace? t_current;

    public static EncodeWorkspace Current => t_current ??= new EncodeWorkspace();

    public CharBuffer Sanitized { get; } = new();

    public List<TextSegment> RawSegments { get; } = [];

    public List<TextSegment> NormalizedSegments { get; } = [];

    public PieceBuffer Source { get; } = new();

    public PieceBuffer Pieces { get; } = new();

    public PreTokenizerScratch Scratch { get; } = new();

    public IdBuffer Ids { get; } = new();
}
