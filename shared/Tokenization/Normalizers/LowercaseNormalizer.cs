namespace LlmServe.Tokenization.Normalizers;

/// <summary>
/// Lowercases with invariant simple case mapping. Rust's to_lowercase also applies the final-sigma rule and
/// the one-to-many mapping of U+0130; none of the supported model families lowercase, so that gap is accepted.
/// </summary>
internal sealed class LowercaseNormalizer : INormalizer
{
    public string Normalize(string input) => input.ToLowerInvariant();
}
