using System.Text;
using LlmServe.ChatTemplates.Runtime.Values;
using LlmServe.ChatTemplates.Syntax;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>
/// Walks the tree for one render. One instance per render call: the tree is shared and immutable, the
/// interpreter holds only this render's clock and loop depth.
/// </summary>
internal sealed class Interpreter(TimeProvider clock)
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    /// <summary>Nested macro calls and recursive loops allowed; Python stops near here with RecursionError.</summary>
    private const int MaxCallDepth = 250;

    private int _loopDepth;
    private int _callDepth;

    public TimeProvider Clock { get; } = clock;

    /// <summary>Counts one level of macro call or loop recursion; dispose to leave it.</summary>
    public CallDepthScope EnterCall()
    {
        if (++_callDepth > MaxCallDepth)
        {
            _callDepth--;
            throw new TemplateException("maximum recursion depth exceeded", TemplateErrorKind.Runtime, 0, 0);
        }

        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        return new CallDepthScope(this);
    }

    internal readonly struct CallDepthScope(Interpreter owner) : IDisposable
    {
        public void Dispose() => owner._callDepth--;
    }

    public string Render(IReadOnlyList<Stmt> body, Scope scope)
    {
        var output = new StringBuilder();
        ExecuteBody(body, scope, output);
        return output.ToString();
    }

    public void ExecuteBody(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output) => Execute(body, scope, output);

    private Flow Execute(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output)
    {
        foreach (Stmt stmt in body)
        {
            Flow flow;
            try
            {
                flow = ExecuteOne(stmt, scope, output);
            }
            catch (TemplateException e) when (e.NoteLocation(stmt.Line, stmt.Column))
            {
                throw;
            }

            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow ExecuteOne(Stmt stmt, Scope scope, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputStmt o:
                AppendValue(output, Evaluate(o.Value, scope));
                return Flow.Normal;
            case IfStmt ifStmt:
                foreach (IfBranch branch in ifStmt.Branches)
                {
                    if (PyOps.IsTrue(Evaluate(branch.Test, scope)))
                    {
                        return Execute(branch.Body, scope, output);
                    }
                }

                return ifStmt.Otherwise is null ? Flow.Normal : Execute(ifStmt.Otherwise, scope, output);
            case ForStmt forStmt:
                RunLoop(forStmt, Evaluate(forStmt.Iterable, scope), scope, output, depth: 1);
                return Flow.Normal;
            case SetStmt set:
                Assign(set.Target, Evaluate(set.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStmt setBlock:
            {
                var captured = new StringBuilder();
                Execute(setBlock.Body, new Scope(scope), captured);
                object? value = captured.ToString();
                if (setBlock.Filter is not null)
                {
                    value = ApplyFilterChain(setBlock.Filter, value, scope);
                }

                Assign(setBlock.Target, value, scope);
                return Flow.Normal;
            }

            case MacroStmt macro:
                scope.Set(macro.Name, new Macro(macro.Name, macro.Params, macro.Body, scope));
                return Flow.Normal;
            case CallBlockStmt callBlock:
            {
                var caller = new Macro("caller", callBlock.CallerParams, callBlock.Body, scope);
                object? callee = Evaluate(callBlock.Call.Callee, scope);
                Arguments args = EvaluateArgs(callBlock.Call.Args, scope);
                args.Keywords.Add(new("caller", caller));
                AppendValue(output, CallValue(callee, args));
                return Flow.Normal;
            }

            case FilterBlockStmt filterBlock:
            {
                var captured = new StringBuilder();
                Execute(filterBlock.Body, new Scope(scope), captured);
                AppendValue(output, ApplyFilterChain(filterBlock.Filter, captured.ToString(), scope));
                return Flow.Normal;
            }

            case WithStmt with:
            {
                var inner = new Scope(scope);
                foreach (KeyValuePair<AssignTarget, Expr> assignment in with.Assignments)
                {
                    Assign(assignment.Key, Evaluate(assignment.Value, scope), inner);
                }

                return Execute(with.Body, inner, output);
            }

            case GenerationStmt generation:
                return Execute(generation.Body, scope, output);
            case BreakStmt:
                return Flow.Break;
            case ContinueStmt:
                return Flow.Continue;
            default:
                throw new InvalidOperationException($"unknown statement {stmt.GetType().Name}");
        }
    }

    private static void AppendValue(StringBuilder output, object? value)
    {
        if (value is string s)
        {
            output.Append(s);
        }
        else if (value is not Undefined)
        {
            output.Append(PyFormat.Str(value));
        }
    }

    private void RunLoop(ForStmt loop, object? iterable, Scope scope, StringBuilder output, int depth)
    {
        List<object?> source = PyOps.ToList(iterable);
        List<object?> items = source;
        if (loop.Filter is not null)
        {
            items = [];
            foreach (object? item in source)
            {
                var filterScope = new Scope(scope);
                Assign(loop.Target, item, filterScope);
                if (PyOps.IsTrue(Evaluate(loop.Filter, filterScope)))
                {
                    items.Add(item);
                }
            }
        }

        if (items.Count == 0)
        {
            if (loop.Otherwise is not null)
            {
                Execute(loop.Otherwise, new Scope(scope), output);
            }

            return;
        }

        var context = new LoopContext(items, depth);
        if (loop.Recursive)
        {
            context.Recurse = children =>
            {
                using CallDepthScope depthScope = EnterCall();
                var nested = new StringBuilder();
                RunLoop(loop, children, scope, nested, depth + 1);
                return nested.ToString();
            };
        }

        _loopDepth++;
        try
        {
            for (int i = 0; i < items.Count; i++)
            {
                context.Index0 = i;
                var iterationScope = new Scope(scope);
                Assign(loop.Target, items[i], iterationScope);
                iterationScope.Set("loop", context);
                if (Execute(loop.Body, iterationScope, output) == Flow.Break)
                {
                    break;
                }
            }
        }
        finally
        {
            _loopDepth--;
        }
    }

    private void Assign(AssignTarget target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                break;
            case TupleTarget tuple:
            {
                List<object?> values = PyOps.ToList(value);
                if (values.Count != tuple.Items.Count)
                {
                    throw PyOps.TypeError(values.Count > tuple.Items.Count
                        ? $"too many values to unpack (expected {tuple.Items.Count})"
                        : $"not enough values to unpack (expected {tuple.Items.Count}, got {values.Count})");
                }

                for (int i = 0; i < values.Count; i++)
                {
                    Assign(tuple.Items[i], values[i], scope);
                }

                break;
            }

            case AttributeTarget attribute:
                if (!scope.TryGet(attribute.Name, out object? ns) || ns is not NamespaceValue namespaceValue)
                {
                    throw PyOps.TypeError("cannot assign attribute on non-namespace object");
                }

                namespaceValue.Attributes[attribute.Attribute] = value;
                break;
        }
    }

    public object? Evaluate(Expr expr, Scope scope)
    {
        try
        {
            return EvaluateCore(expr, scope);
        }
        catch (TemplateException e) when (e.NoteLocation(expr.Line, expr.Column))
        {
            throw;
        }
    }

    private object? EvaluateCore(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case ConstExpr c:
                return c.Value;
            case NameExpr n:
                if (scope.TryGet(n.Name, out object? value))
                {
                    return value;
                }

                return Globals.TryGet(n.Name, out ICallable? global) ? global : Undefined.Named(n.Name);
            case GetAttrExpr a:
                return Access.GetAttr(Evaluate(a.Target, scope), a.Name);
            case GetItemExpr i:
            {
                object? target = Evaluate(i.Target, scope);
                if (i.Key is SliceExpr slice)
                {
                    return Access.Slice(
                        target,
                        slice.Start is null ? null : Evaluate(slice.Start, scope),
                        slice.Stop is null ? null : Evaluate(slice.Stop, scope),
                        slice.Step is null ? null : Evaluate(slice.Step, scope));
                }

                return Access.GetItem(target, Evaluate(i.Key, scope));
            }

            case ListExpr l:
            {
                var list = new List<object?>(l.Items.Count);
                foreach (Expr item in l.Items)
                {
                    list.Add(Evaluate(item, scope));
                }

                return list;
            }

            case TupleExpr t:
            {
                object?[] items = new object?[t.Items.Count];
                for (int k = 0; k < items.Length; k++)
                {
                    items[k] = Evaluate(t.Items[k], scope);
                }

                return new TupleValue(items);
            }

            case DictExpr d:
            {
                var dict = new OrderedDictionary<object, object?>(PyKeyComparer.Instance);
                foreach (KeyValuePair<Expr, Expr> pair in d.Pairs)
                {
                    object key = Evaluate(pair.Key, scope) ?? throw PyOps.TypeError("None is not supported as a dictionary key");
                    dict[key] = Evaluate(pair.Value, scope);
                }

                return dict;
            }

            case CallExpr call:
                return EvaluateCall(call, scope);
            case FilterExpr f:
                return Filters.Apply(this, f.Name, f.Target is null ? null : Evaluate(f.Target, scope), EvaluateArgs(f.Args, scope));
            case TestExpr t:
            {
                bool result = Tests.Apply(this, t.Name, Evaluate(t.Target, scope), EvaluateArgs(t.Args, scope));
                return t.Negated ? !result : result;
            }

            case UnaryExpr u:
            {
                object? operand = Evaluate(u.Operand, scope);
                return u.Op == "-" ? PyOps.Negate(operand) : PyOps.Plus(operand);
            }

            case BinaryExpr b:
                return PyOps.Binary(b.Op, Evaluate(b.Left, scope), Evaluate(b.Right, scope));
            case ConcatExpr c:
            {
                var sb = new StringBuilder();
                foreach (Expr part in c.Parts)
                {
                    sb.Append(PyFormat.Str(Evaluate(part, scope)));
                }

                return sb.ToString();
            }

            case CompareExpr c:
                return EvaluateCompare(c, scope);
            case AndExpr a:
            {
                object? left = Evaluate(a.Left, scope);
                return PyOps.IsTrue(left) ? Evaluate(a.Right, scope) : left;
            }

            case OrExpr o:
            {
                object? left = Evaluate(o.Left, scope);
                return PyOps.IsTrue(left) ? left : Evaluate(o.Right, scope);
            }

            case NotExpr n:
                return !PyOps.IsTrue(Evaluate(n.Operand, scope));
            case CondExpr c:
                if (PyOps.IsTrue(Evaluate(c.Test, scope)))
                {
                    return Evaluate(c.Then, scope);
                }

                return c.Otherwise is null
                    ? Undefined.WithHint($"the inline if-expression on line {c.Line} evaluated to false and no else section was defined.")
                    : Evaluate(c.Otherwise, scope);
            case SliceExpr:
                throw PyOps.TypeError("slice outside of a subscript");
            default:
                throw new InvalidOperationException($"unknown expression {expr.GetType().Name}");
        }
    }

    private bool EvaluateCompare(CompareExpr c, Scope scope)
    {
        object? left = Evaluate(c.First, scope);
        foreach (KeyValuePair<string, Expr> step in c.Rest)
        {
            object? right = Evaluate(step.Value, scope);
            if (!CompareOnce(step.Key, left, right))
            {
                return false;
            }

            left = right;
        }

        return true;
    }

    public static bool CompareOnce(string op, object? left, object? right)
    {
        switch (op)
        {
            case "==":
                return PyOps.AreEqual(left, right);
            case "!=":
                return !PyOps.AreEqual(left, right);
            case "in":
                return PyOps.Contains(right, left);
            case "notin":
                return !PyOps.Contains(right, left);
        }

        if (left is Undefined ul)
        {
            throw ul.Fail();
        }

        if (right is Undefined ur)
        {
            throw ur.Fail();
        }

        int cmp = PyOps.Compare(left, right, op);
        return op switch
        {
            "<" => cmp < 0,
            "<=" => cmp <= 0,
            ">" => cmp > 0,
            _ => cmp >= 0,
        };
    }

    private object? EvaluateCall(CallExpr call, Scope scope)
    {
        if (call.Callee is GetAttrExpr method)
        {
            object? target = Evaluate(method.Target, scope);
            object? attribute = Access.GetAttr(target, method.Name);
            return CallValue(attribute, EvaluateArgs(call.Args, scope));
        }

        return CallValue(Evaluate(call.Callee, scope), EvaluateArgs(call.Args, scope));
    }

    public object? CallValue(object? callee, Arguments args) => callee switch
    {
        ICallable callable => callable.Call(this, args),
        LoopContext loop when loop.Recurse is not null => loop.Recurse(args.Get(0, "iterable")),
        Undefined u => throw u.Fail(),
        _ => throw PyOps.TypeError($"'{PyFormat.TypeName(callee)}' object is not callable"),
    };

    private Arguments EvaluateArgs(CallArgs args, Scope scope)
    {
        if (ReferenceEquals(args, CallArgs.Empty))
        {
            return new Arguments([], []);
        }

        var positional = new List<object?>(args.Positional.Count);
        foreach (Expr e in args.Positional)
        {
            positional.Add(Evaluate(e, scope));
        }

        if (args.StarArgs is not null)
        {
            positional.AddRange(PyOps.Iterate(Evaluate(args.StarArgs, scope)));
        }

        var keywords = new List<KeyValuePair<string, object?>>(args.Keywords.Count);
        foreach (KeyValuePair<string, Expr> kv in args.Keywords)
        {
            keywords.Add(new(kv.Key, Evaluate(kv.Value, scope)));
        }

        if (args.StarStarKwargs is not null)
        {
            if (Evaluate(args.StarStarKwargs, scope) is not OrderedDictionary<object, object?> extra)
            {
                throw PyOps.TypeError("argument after ** must be a mapping");
            }

            foreach (KeyValuePair<object, object?> kv in extra)
            {
                keywords.Add(new(PyFormat.Str(kv.Key), kv.Value));
            }
        }

        return new Arguments(positional, keywords);
    }

    private object? ApplyFilterChain(FilterExpr filter, object? input, Scope scope)
    {
        object? value = filter.Target is FilterExpr inner ? ApplyFilterChain(inner, input, scope) : input;
        return Filters.Apply(this, filter.Name, value, EvaluateArgs(filter.Args, scope));
    }
}
