namespace LlmServe.Tokenization.Decoders;

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing occurrences of one char from every token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            int from = 0;
            while (from < start && from < t.Length && t[from] == content)
            {
                from++;
            }

            int to = t.Length;
            while (t.Length - to < stop && to > from && t[to - 1] == content)
            {
                to--;
            }

            if (from != 0 || to != t.Length)
            {
                tokens[i] = t[from..to];
            }
        }
    }
}
