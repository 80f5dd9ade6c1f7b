using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>
/// Jinja2's sandboxed <c>getattr</c>/<c>getitem</c>: <c>x.name</c> tries the attribute then the item,
/// <c>x[key]</c> the item then the attribute; a miss is undefined, but any access on undefined fails.
/// </summary>
internal static class Access
{
    public static object? GetAttr(object? target, string name)
    {
        if (target is Undefined u)
        {
            throw u.Fail();
        }

        if (name.StartsWith('_'))
        {
            return Undefined.WithHint($"access to attribute '{name}' of '{PyFormat.TypeName(target)}' object is unsafe.");
        }

        object? method = Methods.Lookup(target, name);
        if (method is not null)
        {
            return method;
        }

        switch (target)
        {
            case OrderedDictionary<object, object?> dict:
                return dict.TryGetValue(name, out object? value) ? value : Undefined.MissingAttribute(target, name);
            case NamespaceValue ns:
                return ns.Attributes.TryGetValue(name, out object? attr) ? attr : Undefined.MissingAttribute(target, name);
            case LoopContext loop:
                return loop.GetAttribute(name);
            case TupleValue { Fields: not null } named when Array.IndexOf(named.Fields, name) >= 0:
                return named[Array.IndexOf(named.Fields, name)];
            default:
                return Undefined.MissingAttribute(target, name);
        }
    }

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined u:
                throw u.Fail();
            case OrderedDictionary<object, object?> dict:
                if (key is not null && key is not Undefined && dict.TryGetValue(key, out object? value))
                {
                    return value;
                }

                break;
            case List<object?> or TupleValue or string when PyOps.IsInteger(key):
                return Index(target, PyOps.AsLong(key));
            case NamespaceValue ns when key is string s:
                return ns.Attributes.TryGetValue(s, out object? attr) ? attr : Undefined.MissingItem(target, key);
            case LoopContext loop when key is string s:
                return loop.GetAttribute(s);
        }

        if (key is string name)
        {
            object? method = name.StartsWith('_') ? null : Methods.Lookup(target, name);
            if (method is not null)
            {
                return method;
            }
        }

        return Undefined.MissingItem(target, key);
    }

    private static object? Index(object? target, long index)
    {
        if (target is string s)
        {
            List<object?> chars = PyOps.ToList(s);
            long i = index < 0 ? index + chars.Count : index;
            return i >= 0 && i < chars.Count ? chars[(int)i] : Undefined.MissingItem(target, index);
        }

        IReadOnlyList<object?> items = target as List<object?> ?? (IReadOnlyList<object?>)((TupleValue)target!).Items;
        long k = index < 0 ? index + items.Count : index;
        return k >= 0 && k < items.Count ? items[(int)k] : Undefined.MissingItem(target, index);
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        if (target is Undefined u)
        {
            throw u.Fail();
        }

        IReadOnlyList<object?> items = target switch
        {
            string s => PyOps.ToList(s),
            List<object?> l => l,
            TupleValue t => t.Items,
            _ => throw PyOps.TypeError($"'{PyFormat.TypeName(target)}' object is not subscriptable"),
        };
        var picked = new List<object?>();
        foreach (int i in SliceIndices(items.Count, start, stop, step))
        {
            picked.Add(items[i]);
        }

        return target switch
        {
            string => string.Concat(picked.Cast<string>()),
            TupleValue => new TupleValue([.. picked]),
            _ => picked,
        };
    }

    /// <summary>Python's slice.indices: clamps, negative indices, any non-zero step.</summary>
    public static IEnumerable<int> SliceIndices(int length, object? start, object? stop, object? step)
    {
        long st = step is null ? 1 : PyOps.AsLong(step);
        if (st == 0)
        {
            throw PyOps.TypeError("slice step cannot be zero");
        }

        long lo;
        long hi;
        if (st > 0)
        {
            lo = start is null ? 0 : Clamp(PyOps.AsLong(start), length, 0, length);
            hi = stop is null ? length : Clamp(PyOps.AsLong(stop), length, 0, length);
            for (long i = lo; i < hi; i += st)
            {
                yield return (int)i;
            }
        }
        else
        {
            lo = start is null ? length - 1 : Clamp(PyOps.AsLong(start), length, -1, length - 1);
            hi = stop is null ? -1 : Clamp(PyOps.AsLong(stop), length, -1, length - 1);
            for (long i = lo; i > hi; i += st)
            {
                yield return (int)i;
            }
        }
    }

    private static long Clamp(long index, int length, long min, long max)
    {
        if (index < 0)
        {
            index += length;
        }

        return Math.Clamp(index, min, max);
    }
}
