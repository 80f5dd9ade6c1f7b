namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary>
/// Jinja2's default <c>Undefined</c>: prints as "", is falsy, iterates as empty, and fails with its
/// message when used as an object (attribute, item, call, arithmetic).
/// </summary>
internal sealed class Undefined
{
    public static readonly Undefined Instance = new("undefined value");

    private Undefined(string message)
    {
        Message = message;
    }

    public string Message { get; }

    public static Undefined Named(string name) => new($"'{name}' is undefined");

    public static Undefined MissingAttribute(object? owner, string name) =>
        new($"'{PyFormat.TypeDescription(owner)}' has no attribute '{name}'");

    public static Undefined MissingItem(object? owner, object? key) => key is string s
        ? MissingAttribute(owner, s)
        : new($"{PyFormat.TypeDescription(owner)} has no element {PyFormat.Repr(key)}");

    public static Undefined WithHint(string message) => new(message);

    public TemplateException Fail() => new(Message, TemplateErrorKind.Runtime, 0, 0);
}
