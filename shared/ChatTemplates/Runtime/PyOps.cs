using System.Text;
using LlmServe.ChatTemplates.Runtime.Values;

namespace LlmServe.ChatTemplates.Runtime;

/// <summary>Python semantics of the value model: truth, equality, ordering, arithmetic, membership, iteration.</summary>
internal static class PyOps
{
    public static TemplateException TypeError(string message) => new(message, TemplateErrorKind.Runtime, 0, 0);

    public static bool IsTrue(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        TupleValue t => t.Count > 0,
        OrderedDictionary<object, object?> dict => dict.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double or bool;

    public static bool IsInteger(object? v) => v is long or bool;

    public static long AsLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw TypeError($"'{PyFormat.TypeName(v)}' object cannot be interpreted as an integer"),
    };

    public static double AsDouble(object? v) => v switch
    {
        double d => d,
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw TypeError($"must be real number, not {PyFormat.TypeName(v)}"),
    };

    public static bool AreEqual(object? a, object? b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        switch (a)
        {
            case null:
                return b is null;
            case Undefined:
                return b is Undefined;
            case string sa:
                return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
            case long or bool or double when IsNumber(b):
                if (a is double || b is double)
                {
                    return AsDouble(a) == AsDouble(b);
                }

                return AsLong(a) == AsLong(b);
            case List<object?> la:
                return b is List<object?> lb && SequenceEqual(la, lb);
            case TupleValue ta:
                return b is TupleValue tb && SequenceEqual(ta.Items, tb.Items);
            case OrderedDictionary<object, object?> da:
                if (b is not OrderedDictionary<object, object?> db || da.Count != db.Count)
                {
                    return false;
                }

                foreach (KeyValuePair<object, object?> kv in da)
                {
                    if (!db.TryGetValue(kv.Key, out object? other) || !AreEqual(kv.Value, other))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return false;
        }
    }

    private static bool SequenceEqual(IReadOnlyList<object?> a, IReadOnlyList<object?> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (!AreEqual(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Python's ordering; mismatched types raise TypeError like Python 3.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double)
            {
                double x = AsDouble(a);
                double y = AsDouble(b);
                return x < y ? -1 : x > y ? 1 : 0;
            }

            return AsLong(a).CompareTo(AsLong(b));
        }

        if (a is string sa && b is string sb)
        {
            return CompareStrings(sa, sb);
        }

        IReadOnlyList<object?>? la = a as List<object?> ?? (IReadOnlyList<object?>?)(a as TupleValue);
        IReadOnlyList<object?>? lb = b as List<object?> ?? (IReadOnlyList<object?>?)(b as TupleValue);
        if (la is not null && lb is not null && a!.GetType() == b!.GetType())
        {
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (!AreEqual(la[i], lb[i]))
                {
                    return Compare(la[i], lb[i], op);
                }
            }

            return la.Count.CompareTo(lb.Count);
        }

        throw TypeError($"'{op}' not supported between instances of '{PyFormat.TypeName(a)}' and '{PyFormat.TypeName(b)}'");
    }

    /// <summary>Code-point order, as Python compares str.</summary>
    public static int CompareStrings(string a, string b)
    {
        int i = 0;
        int j = 0;
        while (i < a.Length && j < b.Length)
        {
            int ca = CodePointAt(a, i);
            int cb = CodePointAt(b, j);
            if (ca != cb)
            {
                return ca < cb ? -1 : 1;
            }

            i += ca > 0xFFFF ? 2 : 1;
            j += cb > 0xFFFF ? 2 : 1;
        }

        return (a.Length - i).CompareTo(b.Length - j);
    }

    private static int CodePointAt(string s, int index) =>
        char.IsHighSurrogate(s[index]) && index + 1 < s.Length && char.IsLowSurrogate(s[index + 1])
            ? char.ConvertToUtf32(s[index], s[index + 1])
            : s[index];

    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string s:
                if (item is not string sub)
                {
                    throw TypeError($"'in <string>' requires string as left operand, not {PyFormat.TypeName(item)}");
                }

                return s.Contains(sub, StringComparison.Ordinal);
            case OrderedDictionary<object, object?> dict:
                return item is not null && item is not Undefined && dict.ContainsKey(item);
            case List<object?> or TupleValue or Undefined:
                foreach (object? x in Iterate(container))
                {
                    if (AreEqual(x, item))
                    {
                        return true;
                    }
                }

                return false;
            default:
                throw TypeError($"argument of type '{PyFormat.TypeName(container)}' is not iterable");
        }
    }

    public static IEnumerable<object?> Iterate(object? value)
    {
        switch (value)
        {
            case List<object?> list:
                return list;
            case TupleValue t:
                return t.Items;
            case OrderedDictionary<object, object?> dict:
                return dict.Keys;
            case string s:
                return IterateString(s);
            case Undefined:
                return [];
            case NamespaceValue ns:
                return ns.Attributes.Keys;
            default:
                throw TypeError($"'{PyFormat.TypeName(value)}' object is not iterable");
        }
    }

    private static IEnumerable<object?> IterateString(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                yield return s.Substring(i, 2);
                i++;
            }
            else
            {
                yield return s[i].ToString();
            }
        }
    }

    /// <summary>Materializes an iterable for indexing (loops, filters).</summary>
    public static List<object?> ToList(object? value) => value switch
    {
        List<object?> list => list,
        _ => [.. Iterate(value)],
    };

    public static int Length(object? value) => value switch
    {
        string s => s.Length - CountSurrogatePairs(s),
        List<object?> l => l.Count,
        TupleValue t => t.Count,
        OrderedDictionary<object, object?> d => d.Count,
        Undefined => 0,
        NamespaceValue ns => ns.Attributes.Count,
        _ => throw TypeError($"object of type '{PyFormat.TypeName(value)}' has no len()"),
    };

    private static int CountSurrogatePairs(string s)
    {
        int n = 0;
        foreach (char c in s)
        {
            if (char.IsHighSurrogate(c))
            {
                n++;
            }
        }

        return n;
    }

    public static object? Negate(object? v) => v switch
    {
        long l => (object)checked(-l),
        bool b => b ? -1L : 0L,
        double d => -d,
        Undefined u => throw u.Fail(),
        _ => throw TypeError($"bad operand type for unary -: '{PyFormat.TypeName(v)}'"),
    };

    public static object? Plus(object? v) => v switch
    {
        long or double => v,
        bool b => (object)(b ? 1L : 0L),
        Undefined u => throw u.Fail(),
        _ => throw TypeError($"bad operand type for unary +: '{PyFormat.TypeName(v)}'"),
    };

    public static object? Binary(string op, object? a, object? b)
    {
        if (a is Undefined ua)
        {
            throw ua.Fail();
        }

        if (b is Undefined ub)
        {
            throw ub.Fail();
        }

        try
        {
            return op switch
            {
                "+" => Add(a, b),
                "-" => Arith(op, a, b),
                "*" => Multiply(a, b),
                "/" => Divide(a, b),
                "//" => FloorDivide(a, b),
                "%" => Modulo(a, b),
                "**" => Power(a, b),
                _ => throw new InvalidOperationException(op),
            };
        }
        catch (OverflowException)
        {
            throw TypeError("integer overflow (values beyond 64 bits are not supported)");
        }
    }

    private static object? Add(object? a, object? b)
    {
        switch (a)
        {
            case string sa when b is string sb:
                return string.Concat(sa, sb);
            case string:
                throw TypeError($"can only concatenate str (not \"{PyFormat.TypeName(b)}\") to str");
            case List<object?> la when b is List<object?> lb:
                return new List<object?>(la.Concat(lb));
            case List<object?>:
                throw TypeError($"can only concatenate list (not \"{PyFormat.TypeName(b)}\") to list");
            case TupleValue ta when b is TupleValue tb:
                return new TupleValue([.. ta.Items, .. tb.Items]);
            default:
                return Arith("+", a, b);
        }
    }

    private static object? Arith(string op, object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b))
        {
            throw TypeError($"unsupported operand type(s) for {op}: '{PyFormat.TypeName(a)}' and '{PyFormat.TypeName(b)}'");
        }

        if (a is double || b is double)
        {
            double x = AsDouble(a);
            double y = AsDouble(b);
            return op == "+" ? x + y : op == "-" ? x - y : x * y;
        }

        long p = AsLong(a);
        long q = AsLong(b);
        return op == "+" ? checked(p + q) : op == "-" ? checked(p - q) : checked(p * q);
    }

    private static object? Multiply(object? a, object? b)
    {
        if (a is string s && IsInteger(b))
        {
            return Repeat(s, AsLong(b));
        }

        if (b is string s2 && IsInteger(a))
        {
            return Repeat(s2, AsLong(a));
        }

        if (a is List<object?> list && IsInteger(b))
        {
            if (list.Count * Math.Max(0, AsLong(b)) > 10_000_000)
            {
                throw TypeError("repeated list too long");
            }

            var result = new List<object?>();
            for (long i = 0; i < AsLong(b); i++)
            {
                result.AddRange(list);
            }

            return result;
        }

        return Arith("*", a, b);
    }

    private static string Repeat(string s, long n)
    {
        if (n <= 0)
        {
            return string.Empty;
        }

        if (s.Length * n > 10_000_000)
        {
            throw TypeError("repeated string too long");
        }

        var sb = new StringBuilder(s.Length * (int)n);
        for (long i = 0; i < n; i++)
        {
            sb.Append(s);
        }

        return sb.ToString();
    }

    private static object? Divide(object? a, object? b)
    {
        RequireNumbers("/", a, b);
        double y = AsDouble(b);
        if (y == 0)
        {
            throw TypeError("division by zero");
        }

        return AsDouble(a) / y;
    }

    private static object? FloorDivide(object? a, object? b)
    {
        RequireNumbers("//", a, b);
        if (a is double || b is double)
        {
            double y = AsDouble(b);
            if (y == 0)
            {
                throw TypeError("float floor division by zero");
            }

            return Math.Floor(AsDouble(a) / y);
        }

        long p = AsLong(a);
        long q = AsLong(b);
        if (q == 0)
        {
            throw TypeError("integer division or modulo by zero");
        }

        long div = p / q;
        if ((p % q != 0) && ((p < 0) != (q < 0)))
        {
            div--;
        }

        return div;
    }

    private static object? Modulo(object? a, object? b)
    {
        if (a is string format)
        {
            return PercentFormat.Format(format, b);
        }

        RequireNumbers("%", a, b);
        if (a is double || b is double)
        {
            double x = AsDouble(a);
            double y = AsDouble(b);
            if (y == 0)
            {
                throw TypeError("float modulo");
            }

            double m = x % y;
            if (m != 0 && (m < 0) != (y < 0))
            {
                m += y;
            }

            return m;
        }

        long p = AsLong(a);
        long q = AsLong(b);
        if (q == 0)
        {
            throw TypeError("integer division or modulo by zero");
        }

        long r = p % q;
        if (r != 0 && (r < 0) != (q < 0))
        {
            r += q;
        }

        return r;
    }

    private static object? Power(object? a, object? b)
    {
        RequireNumbers("**", a, b);
        if (a is double || b is double || AsLong(b) < 0)
        {
            return Math.Pow(AsDouble(a), AsDouble(b));
        }

        long result = 1;
        long baseValue = AsLong(a);
        for (long e = AsLong(b); e > 0; e--)
        {
            result = checked(result * baseValue);
        }

        return result;
    }

    private static void RequireNumbers(string op, object? a, object? b)
    {
        if (!IsNumber(a) || !IsNumber(b))
        {
            throw TypeError($"unsupported operand type(s) for {op}: '{PyFormat.TypeName(a)}' and '{PyFormat.TypeName(b)}'");
        }
    }
}
