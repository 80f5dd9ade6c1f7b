using System.Text.RegularExpressions;

namespace LlmServe.Tokenization.Normalizers;

/// <summary>Replaces every occurrence of a literal string or a regex with fixed content.</summary>
internal sealed class ReplaceNormalizer : INormalizer
{
    private readonly string? _literal;
    private readonly Regex? _regex;
    private readonly string _content;

    public ReplaceNormalizer(string? literal, Regex? regex, string content)
    {
        _literal = literal;
        _regex = regex;
        _content = content;
    }

    public string Normalize(string input)
    {
        if (_literal is not null)
        {
            return _literal.Length == 0 ? input : input.Replace(_literal, _content, StringComparison.Ordinal);
        }

        return _regex!.Replace(input, _ => _content);
    }
}
