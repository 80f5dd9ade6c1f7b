using System.Text.RegularExpressions;

namespace LlmServe.Tokenization.Decoders;

/// <summary>Replaces a literal or regex pattern in every token.</summary>
internal sealed class ReplaceDecoder(string? literal, Regex? regex, string content) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = literal is not null
                ? (literal.Length == 0 ? tokens[i] : tokens[i].Replace(literal, content, StringComparison.Ordinal))
                : regex!.Replace(tokens[i], _ => content);
        }
    }
}
