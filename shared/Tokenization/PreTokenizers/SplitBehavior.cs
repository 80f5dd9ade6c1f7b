namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>What a Split does with the delimiters it finds (Hugging Face SplitDelimiterBehavior).</summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}
