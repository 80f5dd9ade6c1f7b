namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary>Anything a template can call: globals, bound methods, macros, <c>loop.cycle</c>.</summary>
internal interface ICallable
{
    string Name { get; }

    object? Call(Interpreter interpreter, Arguments args);
}
