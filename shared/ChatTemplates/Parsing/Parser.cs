using System.Globalization;
using LlmServe.ChatTemplates.Lexing;
using LlmServe.ChatTemplates.Syntax;

namespace LlmServe.ChatTemplates.Parsing;

/// <summary>
/// Recursive-descent parser following Jinja2's grammar and operator precedence (jinja2/parser.py):
/// condexpr &lt; or &lt; and &lt; not &lt; compare &lt; +- &lt; ~ &lt; */ // % &lt; ** &lt; unary, with filters and
/// tests binding to the unary operand.
/// </summary>
internal sealed class Parser
{
    private static readonly HashSet<string> CompareOperators = ["==", "!=", "<", "<=", ">", ">="];

    private readonly List<Token> _tokens;
    private readonly Stack<string> _openBlocks = new();
    private readonly List<TemplateException> _unknownNames = [];
    private int _index;
    private int _loopDepth;

    // Jinja2 reports unknown filters/tests when compiling, except inside an if statement or an inline
    // if-expression ("soft" frames), where the error waits until the expression runs.
    private bool _soft;

    private Parser(List<Token> tokens)
    {
        _tokens = tokens;
    }

    private Token Current => _tokens[_index];

    private Token Peek => _tokens[Math.Min(_index + 1, _tokens.Count - 1)];

    public static IReadOnlyList<Stmt> ParseTemplate(string source)
    {
        var parser = new Parser(Lexer.Tokenize(source));
        List<Stmt> body = parser.Subparse(null);
        if (parser._unknownNames.Count > 0)
        {
            throw parser._unknownNames[0];
        }

        return body;
    }

    private Token Next()
    {
        Token t = _tokens[_index];
        if (t.Kind != TokenKind.Eof)
        {
            _index++;
        }

        return t;
    }

    private bool SkipOperator(string op)
    {
        if (Current.IsOperator(op))
        {
            _index++;
            return true;
        }

        return false;
    }

    private bool SkipName(string name)
    {
        if (Current.IsName(name))
        {
            _index++;
            return true;
        }

        return false;
    }

    private Token Expect(TokenKind kind, string? text = null)
    {
        Token t = Current;
        if (t.Kind != kind || (text is not null && t.Text != text))
        {
            if (t.Kind == TokenKind.Eof)
            {
                throw Fail($"unexpected end of template, expected '{text ?? Describe(kind)}'.", t);
            }

            throw Fail($"expected token '{text ?? Describe(kind)}', got {t}", t);
        }

        return Next();
    }

    private static string Describe(TokenKind kind) => kind switch
    {
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.Name => "name",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static TemplateException Fail(string message, Token at) =>
        new(message, TemplateErrorKind.Syntax, at.Line, at.Column);

    private List<Stmt> Subparse(string[]? endTokens)
    {
        var body = new List<Stmt>();
        while (Current.Kind != TokenKind.Eof)
        {
            Token t = Current;
            switch (t.Kind)
            {
                case TokenKind.Data:
                    Next();
                    body.Add(new TextStmt(t.Text, t.Line, t.Column));
                    break;
                case TokenKind.VariableBegin:
                    Next();
                    body.Add(new OutputStmt(ParseTuple(withCondExpr: true), t.Line, t.Column));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    Next();
                    if (endTokens is not null && Current.Kind == TokenKind.Name && endTokens.Contains(Current.Text))
                    {
                        return body;
                    }

                    body.Add(ParseStatement());
                    Expect(TokenKind.BlockEnd);
                    break;
                default:
                    throw Fail($"unexpected {t}", t);
            }
        }

        return body;
    }

    private Stmt ParseStatement()
    {
        Token t = Current;
        if (t.Kind != TokenKind.Name)
        {
            throw Fail("tag name expected", t);
        }

        _openBlocks.Push(t.Text);
        try
        {
            switch (t.Text)
            {
                case "for": return ParseFor();
                case "if": return ParseIf();
                case "set": return ParseSet();
                case "macro": return ParseMacro();
                case "call": return ParseCallBlock();
                case "filter": return ParseFilterBlock();
                case "with": return ParseWith();
                case "generation":
                    Next();
                    return new GenerationStmt(ParseStatements(["endgeneration"], dropNeedle: true), t.Line, t.Column);
                case "break" or "continue":
                    Next();
                    if (_loopDepth == 0)
                    {
                        throw Fail($"'{t.Text}' outside of a loop", t);
                    }

                    return t.Text == "break" ? new BreakStmt(t.Line, t.Column) : new ContinueStmt(t.Line, t.Column);
                default:
                    _openBlocks.Pop();
                    string message = $"Encountered unknown tag '{t.Text}'.";
                    if (_openBlocks.Count > 0)
                    {
                        message += $" The innermost block that needs to be closed is '{_openBlocks.Peek()}'.";
                    }

                    _openBlocks.Push(t.Text);
                    throw Fail(message, t);
            }
        }
        finally
        {
            _openBlocks.Pop();
        }
    }

    private List<Stmt> ParseStatements(string[] endTokens, bool dropNeedle)
    {
        SkipOperator(":");
        Expect(TokenKind.BlockEnd);
        List<Stmt> body = Subparse(endTokens);
        if (Current.Kind == TokenKind.Eof)
        {
            string expected = string.Join(" or ", endTokens.Select(e => $"'{e}'"));
            string message = $"Unexpected end of template. Jinja was looking for the following tags: {expected}.";
            if (_openBlocks.Count > 0)
            {
                message += $" The innermost block that needs to be closed is '{_openBlocks.Peek()}'.";
            }

            throw Fail(message, Current);
        }

        if (dropNeedle)
        {
            Next();
        }

        return body;
    }

    private List<Stmt> ParseHardBody(string[] endTokens)
    {
        bool savedSoft = _soft;
        _soft = false;
        try
        {
            return ParseStatements(endTokens, dropNeedle: true);
        }
        finally
        {
            _soft = savedSoft;
        }
    }

    private void CheckName(bool isFilter, string name, Token at)
    {
        if (isFilter ? Runtime.Filters.Exists(name) : Runtime.Tests.Exists(name))
        {
            return;
        }

        if (!_soft)
        {
            _unknownNames.Add(Fail($"No {(isFilter ? "filter" : "test")} named '{name}'.", at));
        }
    }

    private ForStmt ParseFor()
    {
        Token start = Expect(TokenKind.Name, "for");
        AssignTarget target = ParseAssignTarget(withNamespace: false);
        Expect(TokenKind.Name, "in");
        Expr iterable = ParseTuple(withCondExpr: false, extraEndName: "recursive");
        Expr? filter = null;
        if (SkipName("if"))
        {
            filter = ParseExpression(withCondExpr: true);
        }

        bool recursive = SkipName("recursive");
        _loopDepth++;
        bool savedSoft = _soft;
        _soft = false;
        List<Stmt> body;
        try
        {
            body = ParseStatements(["endfor", "else"], dropNeedle: false);
        }
        finally
        {
            _loopDepth--;
            _soft = savedSoft;
        }

        List<Stmt>? otherwise = null;
        if (Next().Text != "endfor")
        {
            otherwise = ParseStatements(["endfor"], dropNeedle: true);
        }

        return new ForStmt(target, iterable, filter, body, otherwise, recursive, start.Line, start.Column);
    }

    private IfStmt ParseIf()
    {
        Token start = Expect(TokenKind.Name, "if");
        var branches = new List<IfBranch>();
        List<Stmt>? otherwise = null;
        bool savedSoft = _soft;
        _soft = true;
        try
        {
            ParseIfBranches(branches, ref otherwise);
        }
        finally
        {
            _soft = savedSoft;
        }

        return new IfStmt(branches, otherwise, start.Line, start.Column);
    }

    private void ParseIfBranches(List<IfBranch> branches, ref List<Stmt>? otherwise)
    {
        while (true)
        {
            Expr test = ParseTuple(withCondExpr: false);
            List<Stmt> body = ParseStatements(["elif", "else", "endif"], dropNeedle: false);
            branches.Add(new IfBranch(test, body));
            Token t = Next();
            if (t.Text == "elif")
            {
                continue;
            }

            if (t.Text == "else")
            {
                otherwise = ParseStatements(["endif"], dropNeedle: true);
            }

            break;
        }
    }

    private Stmt ParseSet()
    {
        Token start = Expect(TokenKind.Name, "set");
        AssignTarget target = ParseAssignTarget(withNamespace: true);
        if (SkipOperator("="))
        {
            return new SetStmt(target, ParseTuple(withCondExpr: true), start.Line, start.Column);
        }

        FilterExpr? filter = Current.IsOperator("|") ? (FilterExpr)ParseFilter(null, startInline: false) : null;
        List<Stmt> body = ParseHardBody(["endset"]);
        return new SetBlockStmt(target, filter, body, start.Line, start.Column);
    }

    private MacroStmt ParseMacro()
    {
        Token start = Expect(TokenKind.Name, "macro");
        string name = Expect(TokenKind.Name).Text;
        List<MacroParam> parameters = ParseSignature();
        int savedDepth = _loopDepth;
        _loopDepth = 0;
        try
        {
            List<Stmt> body = ParseHardBody(["endmacro"]);
            return new MacroStmt(name, parameters, body, start.Line, start.Column);
        }
        finally
        {
            _loopDepth = savedDepth;
        }
    }

    private List<MacroParam> ParseSignature()
    {
        var parameters = new List<MacroParam>();
        Expect(TokenKind.Operator, "(");
        bool seenDefault = false;
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            Token nameToken = Expect(TokenKind.Name);
            Expr? defaultValue = null;
            if (SkipOperator("="))
            {
                defaultValue = ParseExpression(withCondExpr: true);
                seenDefault = true;
            }
            else if (seenDefault)
            {
                throw Fail("non-default argument follows default argument", nameToken);
            }

            parameters.Add(new MacroParam(nameToken.Text, defaultValue));
        }

        Expect(TokenKind.Operator, ")");
        return parameters;
    }

    private CallBlockStmt ParseCallBlock()
    {
        Token start = Expect(TokenKind.Name, "call");
        List<MacroParam> callerParams = Current.IsOperator("(") ? ParseSignature() : [];
        Expr call = ParseExpression(withCondExpr: true);
        if (call is not CallExpr callExpr)
        {
            throw Fail("expected call", start);
        }

        List<Stmt> body = ParseHardBody(["endcall"]);
        return new CallBlockStmt(callExpr, callerParams, body, start.Line, start.Column);
    }

    private FilterBlockStmt ParseFilterBlock()
    {
        Token start = Expect(TokenKind.Name, "filter");
        var filter = (FilterExpr)ParseFilter(null, startInline: true);
        List<Stmt> body = ParseHardBody(["endfilter"]);
        return new FilterBlockStmt(filter, body, start.Line, start.Column);
    }

    private WithStmt ParseWith()
    {
        Token start = Expect(TokenKind.Name, "with");
        var assignments = new List<KeyValuePair<AssignTarget, Expr>>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (assignments.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            AssignTarget target = ParseAssignTarget(withNamespace: false);
            Expect(TokenKind.Operator, "=");
            assignments.Add(new(target, ParseExpression(withCondExpr: true)));
        }

        List<Stmt> body = ParseHardBody(["endwith"]);
        return new WithStmt(assignments, body, start.Line, start.Column);
    }

    private AssignTarget ParseAssignTarget(bool withNamespace)
    {
        if (withNamespace && Current.Kind == TokenKind.Name && Peek.IsOperator("."))
        {
            string name = Next().Text;
            Next();
            string attribute = Expect(TokenKind.Name).Text;
            return new AttributeTarget(name, attribute);
        }

        var items = new List<AssignTarget>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            if (Current.IsName("in") || Current.IsOperator("=") || Current.IsOperator(")") || Current.Kind == TokenKind.BlockEnd || Current.IsOperator("|"))
            {
                break;
            }

            items.Add(ParseAssignPrimary());
            if (Current.IsOperator(","))
            {
                isTuple = true;
            }
            else
            {
                break;
            }
        }

        if (items.Count == 0)
        {
            throw Fail($"expected assignment target, got {Current}", Current);
        }

        return isTuple ? new TupleTarget(items) : items[0];
    }

    private AssignTarget ParseAssignPrimary()
    {
        if (SkipOperator("("))
        {
            AssignTarget inner = ParseAssignTarget(withNamespace: false);
            Expect(TokenKind.Operator, ")");
            return inner;
        }

        Token t = Expect(TokenKind.Name);
        if (t.Text is "true" or "false" or "none" or "True" or "False" or "None")
        {
            throw Fail($"can't assign to '{t.Text}'", t);
        }

        return new NameTarget(t.Text);
    }

    private bool IsTupleEnd(string? extraEndName) =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof
        || Current.IsOperator(")")
        || (extraEndName is not null && Current.IsName(extraEndName));

    private Expr ParseTuple(bool withCondExpr, string? extraEndName = null, bool explicitParentheses = false)
    {
        Token start = Current;
        var items = new List<Expr>();
        bool isTuple = false;
        while (true)
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            if (IsTupleEnd(extraEndName))
            {
                break;
            }

            items.Add(ParseExpression(withCondExpr));
            if (Current.IsOperator(","))
            {
                isTuple = true;
            }
            else
            {
                break;
            }
        }

        if (!isTuple)
        {
            if (items.Count > 0)
            {
                return items[0];
            }

            if (!explicitParentheses)
            {
                throw Fail($"Expected an expression, got {Current}", Current);
            }
        }

        return new TupleExpr(items, start.Line, start.Column);
    }

    private Expr ParseExpression(bool withCondExpr) => withCondExpr ? ParseCondExpr() : ParseOr();

    private Expr ParseCondExpr()
    {
        Token start = Current;
        int unknownMark = _unknownNames.Count;
        Expr expr = ParseOr();
        if (!Current.IsName("if"))
        {
            return expr;
        }

        // The whole inline if-expression is soft, including the part parsed before "if" was seen.
        _unknownNames.RemoveRange(unknownMark, _unknownNames.Count - unknownMark);
        bool savedSoft = _soft;
        _soft = true;
        try
        {
            while (SkipName("if"))
            {
                Expr test = ParseOr();
                Expr? otherwise = SkipName("else") ? ParseCondExpr() : null;
                expr = new CondExpr(test, expr, otherwise, start.Line, start.Column);
            }
        }
        finally
        {
            _soft = savedSoft;
        }

        return expr;
    }

    private Expr ParseOr()
    {
        Expr left = ParseAnd();
        while (Current.IsName("or"))
        {
            Token op = Next();
            left = new OrExpr(left, ParseAnd(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        Expr left = ParseNot();
        while (Current.IsName("and"))
        {
            Token op = Next();
            left = new AndExpr(left, ParseNot(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            Token op = Next();
            return new NotExpr(ParseNot(), op.Line, op.Column);
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        Token start = Current;
        Expr first = ParseMath1();
        List<KeyValuePair<string, Expr>>? rest = null;
        while (true)
        {
            string op;
            if (Current.Kind == TokenKind.Operator && CompareOperators.Contains(Current.Text))
            {
                op = Next().Text;
            }
            else if (SkipName("in"))
            {
                op = "in";
            }
            else if (Current.IsName("not") && Peek.IsName("in"))
            {
                Next();
                Next();
                op = "notin";
            }
            else
            {
                break;
            }

            (rest ??= []).Add(new(op, ParseMath1()));
        }

        return rest is null ? first : new CompareExpr(first, rest, start.Line, start.Column);
    }

    private Expr ParseMath1()
    {
        Expr left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            Token op = Next();
            left = new BinaryExpr(op.Text, left, ParseConcat(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        Token start = Current;
        Expr first = ParseMath2();
        if (!Current.IsOperator("~"))
        {
            return first;
        }

        var parts = new List<Expr> { first };
        while (SkipOperator("~"))
        {
            parts.Add(ParseMath2());
        }

        return new ConcatExpr(parts, start.Line, start.Column);
    }

    private Expr ParseMath2()
    {
        Expr left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            Token op = Next();
            left = new BinaryExpr(op.Text, left, ParsePow(), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParsePow()
    {
        Expr left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            Token op = Next();
            left = new BinaryExpr("**", left, ParseUnary(withFilter: true), op.Line, op.Column);
        }

        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
        Token t = Current;
        Expr node;
        if (t.IsOperator("-") || t.IsOperator("+"))
        {
            Next();
            node = new UnaryExpr(t.Text, ParseUnary(withFilter: false), t.Line, t.Column);
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary()
    {
        Token t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                Next();
                return t.Text switch
                {
                    "true" or "True" => new ConstExpr(true, t.Line, t.Column),
                    "false" or "False" => new ConstExpr(false, t.Line, t.Column),
                    "none" or "None" => new ConstExpr(null, t.Line, t.Column),
                    _ => new NameExpr(t.Text, t.Line, t.Column),
                };
            case TokenKind.String:
                Next();
                string text = t.Text;
                while (Current.Kind == TokenKind.String)
                {
                    text += Next().Text;
                }

                return new ConstExpr(text, t.Line, t.Column);
            case TokenKind.Integer:
                Next();
                if (!long.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out long integer))
                {
                    throw Fail($"integer literal too large: {t.Text}", t);
                }

                return new ConstExpr(integer, t.Line, t.Column);
            case TokenKind.Float:
                Next();
                return new ConstExpr(double.Parse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture), t.Line, t.Column);
            case TokenKind.Operator when t.Text == "(":
            {
                Next();
                Expr inner = ParseTuple(withCondExpr: true, explicitParentheses: true);
                Expect(TokenKind.Operator, ")");
                return inner;
            }

            case TokenKind.Operator when t.Text == "[":
                return ParseList();
            case TokenKind.Operator when t.Text == "{":
                return ParseDict();
            case TokenKind.Eof:
                throw Fail("unexpected end of template", t);
            default:
                throw Fail($"unexpected {t}", t);
        }
    }

    private ListExpr ParseList()
    {
        Token start = Expect(TokenKind.Operator, "[");
        var items = new List<Expr>();
        while (!Current.IsOperator("]"))
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            if (Current.IsOperator("]"))
            {
                break;
            }

            items.Add(ParseExpression(withCondExpr: true));
        }

        Expect(TokenKind.Operator, "]");
        return new ListExpr(items, start.Line, start.Column);
    }

    private DictExpr ParseDict()
    {
        Token start = Expect(TokenKind.Operator, "{");
        var pairs = new List<KeyValuePair<Expr, Expr>>();
        while (!Current.IsOperator("}"))
        {
            if (pairs.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
            }

            if (Current.IsOperator("}"))
            {
                break;
            }

            Expr key = ParseExpression(withCondExpr: true);
            Expect(TokenKind.Operator, ":");
            pairs.Add(new(key, ParseExpression(withCondExpr: true)));
        }

        Expect(TokenKind.Operator, "}");
        return new DictExpr(pairs, start.Line, start.Column);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            Token t = Current;
            if (t.IsOperator("."))
            {
                Next();
                Token attr = Current;
                if (attr.Kind == TokenKind.Name)
                {
                    Next();
                    node = new GetAttrExpr(node, attr.Text, t.Line, t.Column);
                }
                else if (attr.Kind == TokenKind.Integer)
                {
                    Next();
                    node = new GetItemExpr(node, new ConstExpr(long.Parse(attr.Text, CultureInfo.InvariantCulture), attr.Line, attr.Column), t.Line, t.Column);
                }
                else
                {
                    throw Fail("expected name or number", attr);
                }
            }
            else if (t.IsOperator("["))
            {
                Next();
                var args = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (args.Count > 0)
                    {
                        Expect(TokenKind.Operator, ",");
                    }

                    args.Add(ParseSubscribed());
                }

                Expect(TokenKind.Operator, "]");
                Expr key = args.Count == 1 ? args[0] : new TupleExpr(args, t.Line, t.Column);
                node = new GetItemExpr(node, key, t.Line, t.Column);
            }
            else if (t.IsOperator("("))
            {
                node = new CallExpr(node, ParseCallArgs(), t.Line, t.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscribed()
    {
        Token start = Current;
        Expr? first = null;
        if (!SkipOperator(":"))
        {
            first = ParseExpression(withCondExpr: true);
            if (!SkipOperator(":"))
            {
                return first;
            }
        }

        Expr? stop = null;
        if (!Current.IsOperator(":") && !Current.IsOperator("]") && !Current.IsOperator(","))
        {
            stop = ParseExpression(withCondExpr: true);
        }

        Expr? step = null;
        if (SkipOperator(":") && !Current.IsOperator("]") && !Current.IsOperator(","))
        {
            step = ParseExpression(withCondExpr: true);
        }

        return new SliceExpr(first, stop, step, start.Line, start.Column);
    }

    private CallArgs ParseCallArgs()
    {
        Token open = Expect(TokenKind.Operator, "(");
        var positional = new List<Expr>();
        var keywords = new List<KeyValuePair<string, Expr>>();
        Expr? starArgs = null;
        Expr? starStar = null;
        bool requireComma = false;
        while (!Current.IsOperator(")"))
        {
            if (requireComma)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }

            if (SkipOperator("*"))
            {
                starArgs = ParseExpression(withCondExpr: true);
            }
            else if (SkipOperator("**"))
            {
                starStar = ParseExpression(withCondExpr: true);
            }
            else if (Current.Kind == TokenKind.Name && Peek.IsOperator("="))
            {
                string key = Next().Text;
                Next();
                keywords.Add(new(key, ParseExpression(withCondExpr: true)));
            }
            else
            {
                if (keywords.Count > 0 || starArgs is not null || starStar is not null)
                {
                    throw Fail("Invalid argument syntax", Current);
                }

                positional.Add(ParseExpression(withCondExpr: true));
            }

            requireComma = true;
        }

        Expect(TokenKind.Operator, ")");
        _ = open;
        return positional.Count == 0 && keywords.Count == 0 && starArgs is null && starStar is null
            ? CallArgs.Empty
            : new CallArgs(positional, keywords, starArgs, starStar);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                node = ParseFilter(node, startInline: false);
            }
            else if (Current.IsName("is"))
            {
                node = ParseTest(node);
            }
            else if (Current.IsOperator("("))
            {
                Token t = Current;
                node = new CallExpr(node, ParseCallArgs(), t.Line, t.Column);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseFilter(Expr? node, bool startInline)
    {
        while (Current.IsOperator("|") || startInline)
        {
            if (!startInline)
            {
                Next();
            }

            Token nameToken = Expect(TokenKind.Name);
            string name = ParseDottedName(nameToken.Text);
            CheckName(isFilter: true, name, nameToken);
            CallArgs args = Current.IsOperator("(") ? ParseCallArgs() : CallArgs.Empty;
            node = new FilterExpr(node, name, args, nameToken.Line, nameToken.Column);
            startInline = false;
        }

        return node!;
    }

    private string ParseDottedName(string name)
    {
        while (SkipOperator("."))
        {
            name += "." + Expect(TokenKind.Name).Text;
        }

        return name;
    }

    private TestExpr ParseTest(Expr node)
    {
        Token isToken = Expect(TokenKind.Name, "is");
        bool negated = SkipName("not");
        Token nameToken = Expect(TokenKind.Name);
        string name = ParseDottedName(nameToken.Text);
        CheckName(isFilter: false, name, nameToken);
        CallArgs args = CallArgs.Empty;
        Token t = Current;
        if (t.IsOperator("("))
        {
            args = ParseCallArgs();
        }
        else if ((t.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                  || t.IsOperator("(") || t.IsOperator("[") || t.IsOperator("{"))
                 && !(t.IsName("else") || t.IsName("or") || t.IsName("and")))
        {
            if (t.IsName("is"))
            {
                throw Fail("You cannot chain multiple tests with is", t);
            }

            Expr arg = ParsePostfix(ParsePrimary());
            args = new CallArgs([arg], [], null, null);
        }

        return new TestExpr(node, name, args, negated, isToken.Line, isToken.Column);
    }
}
