namespace LlmServe.ChatTemplates.Syntax;

// Statement nodes. A template is a list of statements; bodies are lists too.

internal abstract record Stmt(int Line, int Column);

internal sealed record TextStmt(string Text, int Line, int Column) : Stmt(Line, Column);

internal sealed record OutputStmt(Expr Value, int Line, int Column) : Stmt(Line, Column);

internal sealed record IfBranch(Expr Test, IReadOnlyList<Stmt> Body);

internal sealed record IfStmt(IReadOnlyList<IfBranch> Branches, IReadOnlyList<Stmt>? Otherwise, int Line, int Column) : Stmt(Line, Column);

internal sealed record ForStmt(
    AssignTarget Target,
    Expr Iterable,
    Expr? Filter,
    IReadOnlyList<Stmt> Body,
    IReadOnlyList<Stmt>? Otherwise,
    bool Recursive,
    int Line,
    int Column) : Stmt(Line, Column);

internal sealed record SetStmt(AssignTarget Target, Expr Value, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>{% set name | filters %}body{% endset %}</c>; <see cref="Filter"/> wraps a null-target filter chain.</summary>
internal sealed record SetBlockStmt(AssignTarget Target, FilterExpr? Filter, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record MacroParam(string Name, Expr? Default);

internal sealed record MacroStmt(string Name, IReadOnlyList<MacroParam> Params, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary><c>{% call macro(args) %}body{% endcall %}</c>: the body becomes the callee's <c>caller()</c>.</summary>
internal sealed record CallBlockStmt(CallExpr Call, IReadOnlyList<MacroParam> CallerParams, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record FilterBlockStmt(FilterExpr Filter, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record WithStmt(IReadOnlyList<KeyValuePair<AssignTarget, Expr>> Assignments, IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

/// <summary>transformers' <c>{% generation %}</c> extension: renders its body unchanged.</summary>
internal sealed record GenerationStmt(IReadOnlyList<Stmt> Body, int Line, int Column) : Stmt(Line, Column);

internal sealed record BreakStmt(int Line, int Column) : Stmt(Line, Column);

internal sealed record ContinueStmt(int Line, int Column) : Stmt(Line, Column);

internal abstract record AssignTarget;

internal sealed record NameTarget(string Name) : AssignTarget;

internal sealed record TupleTarget(IReadOnlyList<AssignTarget> Items) : AssignTarget;

/// <summary><c>ns.attr</c> on the left of a set: only namespace objects accept it.</summary>
internal sealed record AttributeTarget(string Name, string Attribute) : AssignTarget;
