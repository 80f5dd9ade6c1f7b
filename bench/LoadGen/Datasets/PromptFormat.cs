namespace LlmServe.LoadGen.Datasets;

/// <summary>How a sized prompt is sent.</summary>
public enum PromptFormat
{
    /// <summary>A list of token ids as the completions prompt: the input length is exact by construction.</summary>
    Ids,

    /// <summary>Text, sized with the server's /tokenize when it has one (needed for chat and for servers that take no ids).</summary>
    Text,
}
