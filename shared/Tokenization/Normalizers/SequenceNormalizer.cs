namespace LlmServe.Tokenization.Normalizers;

/// <summary>Applies normalizers in order.</summary>
internal sealed class SequenceNormalizer(IReadOnlyList<INormalizer> normalizers) : INormalizer
{
    public string Normalize(string input)
    {
        foreach (INormalizer n in normalizers)
        {
            input = n.Normalize(input);
        }

        return input;
    }
}
