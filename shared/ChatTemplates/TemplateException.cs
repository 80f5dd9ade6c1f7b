namespace LlmServe.ChatTemplates;

/// <summary>
/// A chat template failed to parse or render. <see cref="Exception.Message"/> is the bare message (for
/// <see cref="TemplateErrorKind.Raised"/> exactly the text the template passed to <c>raise_exception</c>),
/// <see cref="Line"/> and <see cref="Column"/> locate the failing construct when known (1-based, 0 when unknown).
/// </summary>
public sealed class TemplateException : Exception
{
    public TemplateException()
        : this("template error")
    {
    }

    public TemplateException(string message)
        : this(message, TemplateErrorKind.Runtime, 0, 0)
    {
    }

    public TemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = TemplateErrorKind.Runtime;
    }

    public TemplateException(string message, TemplateErrorKind kind, int line, int column)
        : base(message)
    {
        Kind = kind;
        Line = line;
        Column = column;
    }

    public TemplateErrorKind Kind { get; }

    public int Line { get; private set; }

    public int Column { get; private set; }

    /// <summary>True when the template rejected the input (<c>raise_exception</c>): the caller should answer 400 with <see cref="Exception.Message"/>.</summary>
    public bool IsClientError => Kind == TemplateErrorKind.Raised;

    /// <summary>The message with its location, for logs.</summary>
    public string Describe() => Line > 0 ? $"{Message} (line {Line}, column {Column})" : Message;

    /// <summary>
    /// Records the innermost location as the exception passes; always false so it can sit in an exception
    /// filter: nothing is caught and rethrown per frame (which costs stack on deep macro recursion).
    /// </summary>
    internal bool NoteLocation(int line, int column)
    {
        if (Line == 0 && line > 0)
        {
            Line = line;
            Column = column;
        }

        return false;
    }
}
