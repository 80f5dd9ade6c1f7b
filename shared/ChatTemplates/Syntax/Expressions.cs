namespace LlmServe.ChatTemplates.Syntax;

// The expression tree. Nodes are immutable so one parsed template renders on many threads at once.

internal abstract record Expr(int Line, int Column);

internal sealed record ConstExpr(object? Value, int Line, int Column) : Expr(Line, Column);

internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

internal sealed record DictExpr(IReadOnlyList<KeyValuePair<Expr, Expr>> Pairs, int Line, int Column) : Expr(Line, Column);

internal sealed record GetAttrExpr(Expr Target, string Name, int Line, int Column) : Expr(Line, Column);

internal sealed record GetItemExpr(Expr Target, Expr Key, int Line, int Column) : Expr(Line, Column);

internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);

internal sealed record CallArgs(
    IReadOnlyList<Expr> Positional,
    IReadOnlyList<KeyValuePair<string, Expr>> Keywords,
    Expr? StarArgs,
    Expr? StarStarKwargs)
{
    public static readonly CallArgs Empty = new([], [], null, null);
}

internal sealed record CallExpr(Expr Callee, CallArgs Args, int Line, int Column) : Expr(Line, Column);

/// <summary><c>target | name(args)</c>; <see cref="Target"/> is null for the innermost filter of a filter block.</summary>
internal sealed record FilterExpr(Expr? Target, string Name, CallArgs Args, int Line, int Column) : Expr(Line, Column);

internal sealed record TestExpr(Expr Target, string Name, CallArgs Args, bool Negated, int Line, int Column) : Expr(Line, Column);

internal sealed record UnaryExpr(string Op, Expr Operand, int Line, int Column) : Expr(Line, Column);

internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

internal sealed record ConcatExpr(IReadOnlyList<Expr> Parts, int Line, int Column) : Expr(Line, Column);

internal sealed record CompareExpr(Expr First, IReadOnlyList<KeyValuePair<string, Expr>> Rest, int Line, int Column) : Expr(Line, Column);

internal sealed record AndExpr(Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

internal sealed record OrExpr(Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

internal sealed record NotExpr(Expr Operand, int Line, int Column) : Expr(Line, Column);

/// <summary><c>then if test else otherwise</c>; a missing else yields undefined.</summary>
internal sealed record CondExpr(Expr Test, Expr Then, Expr? Otherwise, int Line, int Column) : Expr(Line, Column);
