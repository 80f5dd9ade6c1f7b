using LlmServe.Tokenization.Text;

namespace LlmServe.Tokenization.Normalizers;

/// <summary>Strips Unicode whitespace from the left and/or right end.</summary>
internal sealed class StripNormalizer(bool left, bool right) : INormalizer
{
    public string Normalize(string input)
    {
        int start = 0;
        int end = input.Length;
        if (left)
        {
            while (start < end && CodePoints.IsWhiteSpace(input[start]))
            {
                start++;
            }
        }

        if (right)
        {
            while (end > start && CodePoints.IsWhiteSpace(input[end - 1]))
            {
                end--;
            }
        }

        return start == 0 && end == input.Length ? input : input[start..end];
    }
}
