using System.Text;
using LlmServe.Tokenization.Normalizers.Unicode;

namespace LlmServe.Tokenization.Normalizers;

/// <summary>NFC / NFD / NFKC / NFKD.</summary>
internal sealed class UnicodeFormNormalizer : INormalizer
{
    private readonly NormalizationForm _form;

    // Below this code unit nothing changes under the form: canonical decompositions start at U+00C0,
    // compatibility ones at U+00A0, and NFC only composes with marks from U+0300 up.
    private readonly char _firstAffected;

    public UnicodeFormNormalizer(NormalizationForm form)
    {
        _form = form;
        _firstAffected = form switch
        {
            NormalizationForm.FormC => '\u0300',
            NormalizationForm.FormD => '\u00C0',
            _ => '\u00A0',
        };
    }

    public string Normalize(string input)
    {
        if (!input.AsSpan().ContainsAnyInRange(_firstAffected, '\uFFFF'))
        {
            return input;
        }

        return UnicodeNormalization.Normalize(input, _form);
    }
}
