namespace LlmServe.ChatTemplates.Runtime.Values;

/// <summary>The <c>loop</c> variable of a for loop.</summary>
internal sealed class LoopContext(List<object?> items, int depth)
{
    private object? _lastChanged = Undefined.Instance;
    private bool _changedCalled;

    public int Index0 { get; set; }

    public int Depth { get; } = depth;

    /// <summary>Set for <c>recursive</c> loops: <c>loop(children)</c> renders the loop body over the children.</summary>
    public Func<object?, string>? Recurse { get; set; }

    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)(Index0 + 1),
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => (long)Depth,
        "depth0" => (long)(Depth - 1),
        "previtem" => Index0 > 0 ? items[Index0 - 1] : Undefined.WithHint("there is no previous item"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : Undefined.WithHint("there is no next item"),
        "cycle" => new BuiltinFunction("cycle", (_, args) => Cycle(args)),
        "changed" => new BuiltinFunction("changed", (_, args) => Changed(args)),
        _ => Undefined.MissingAttribute(this, name),
    };

    private object? Cycle(Arguments args)
    {
        if (args.Positional.Count == 0)
        {
            throw PyOps.TypeError("no items for cycling given");
        }

        return args.Positional[Index0 % args.Positional.Count];
    }

    private bool Changed(Arguments args)
    {
        object? value = args.Positional.Count == 1 ? args.Positional[0] : new TupleValue([.. args.Positional]);
        if (_changedCalled && PyOps.AreEqual(value, _lastChanged))
        {
            return false;
        }

        _changedCalled = true;
        _lastChanged = value;
        return true;
    }
}
