namespace LlmServe.Tokenization.Decoders;

/// <summary>
/// Metaspace: ▁ becomes a space, except that in the first token Hugging Face drops the replacement chars
/// instead (unless prepend_scheme is "never").
/// </summary>
internal sealed class MetaspaceDecoder(char replacement, bool stripFirst) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (t.Contains(replacement, StringComparison.Ordinal))
            {
                tokens[i] = i == 0 && stripFirst
                    ? t.Replace(replacement.ToString(), string.Empty, StringComparison.Ordinal)
                    : t.Replace(replacement, ' ');
            }
        }
    }
}
