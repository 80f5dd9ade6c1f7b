namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary><c>obj.method</c> looked up but not yet called (e.g. passed around or tested with <c>is callable</c>).</summary>
internal sealed class BoundMethod(object? target, string name) : ICallable
{
    public object? Target { get; } = target;

    public string Name { get; } = name;

    public object? Call(Interpreter interpreter, Arguments args) => Methods.Invoke(Target, Name, args);
}
