namespace LlmServe.Tokenization;

/// <summary>A tokenizer.json or tokenizer_config.json file is missing, malformed, or uses a component we do not implement.</summary>
public sealed class TokenizerLoadException : Exception
{
    public TokenizerLoadException()
    {
    }

    public TokenizerLoadException(string message)
        : base(message)
    {
    }

    public TokenizerLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
