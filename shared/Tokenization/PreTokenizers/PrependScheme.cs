namespace LlmServe.Tokenization.PreTokenizers;

/// <summary>When Metaspace prepends its replacement char.</summary>
internal enum PrependScheme
{
    Always,
    First,
    Never,
}
