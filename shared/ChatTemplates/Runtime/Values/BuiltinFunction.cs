namespace LlmServe.ChatTemplates.Runtime.Values;

internal sealed class BuiltinFunction(string name, Func<Interpreter, Arguments, object?> body) : ICallable
{
    public string Name { get; } = name;

    public object? Call(Interpreter interpreter, Arguments args) => body(interpreter, args);
}
