namespace LlmServe.ChatTemplates;

/// <summary>Where a <see cref="TemplateException"/> came from.</summary>
public enum TemplateErrorKind
{
    /// <summary>The template source is not valid Jinja (a server/configuration problem).</summary>
    Syntax,

    /// <summary>Evaluation failed: a type error, an undefined value used as an object, a sandbox violation.</summary>
    Runtime,

    /// <summary>The template itself called <c>raise_exception(msg)</c>: the conversation was rejected by the template.</summary>
    Raised,
}
