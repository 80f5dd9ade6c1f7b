using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>Finds the non-overlapping matches of a Split pattern, left to right.</summary>
internal interface IMatchFinder
{
    void FindMatches(ReadOnlySpan<char> text, RangeList matches);
}
