namespace LlmServe.Tokenization.PostProcessors;

/// <summary>
/// What the post-processor adds around a single sequence when add_special_tokens is on (BOS/EOS and the like).
/// TemplateProcessing, Bert/Roberta processing and ByteLevel (offsets only) all reduce to this for one sequence.
/// </summary>
internal sealed record SpecialTokenFrame(int[] Prefix, int[] Suffix)
{
    public static readonly SpecialTokenFrame Empty = new([], []);
}
