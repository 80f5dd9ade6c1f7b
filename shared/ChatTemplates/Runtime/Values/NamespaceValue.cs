namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary>The object <c>namespace()</c> returns: the only thing <c>{% set ns.attr = ... %}</c> may assign into.</summary>
internal sealed class NamespaceValue
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
