using System.Globalization;
using System.Text;

namespace LlmServe.Tokenization.Decoders;

/// <summary>
/// Turns runs of &lt;0xNN&gt; tokens into text; a run that is not valid UTF-8 becomes one U+FFFD per byte
/// (Hugging Face's rule, which differs from lossy decoding).
/// </summary>
internal sealed class ByteFallbackDecoder : IDecoder
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public void DecodeChain(List<string> tokens)
    {
        int write = 0;
        var run = new List<byte>();
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (TryParseByte(t, out byte b))
            {
                run.Add(b);
                continue;
            }

            write = Flush(tokens, write, run);
            tokens[write++] = t;
        }

        write = Flush(tokens, write, run);
        tokens.RemoveRange(write, tokens.Count - write);
    }

    public static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static int Flush(List<string> tokens, int write, List<byte> run)
    {
        if (run.Count == 0)
        {
            return write;
        }

        string? text = null;
        try
        {
            text = Strict.GetString(run.ToArray());
        }
        catch (DecoderFallbackException)
        {
        }

        // The output never outgrows the input: a run of n byte tokens yields 1 or n strings.
        if (text is not null)
        {
            tokens[write++] = text;
        }
        else
        {
            for (int k = 0; k < run.Count; k++)
            {
                tokens[write++] = "\uFFFD";
            }
        }

        run.Clear();
        return write;
    }
}
