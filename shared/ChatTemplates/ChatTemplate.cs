using System.Collections.Concurrent;
using LlmServe.ChatTemplates.Input;
using LlmServe.ChatTemplates.Parsing;
using LlmServe.ChatTemplates.Runtime;
using LlmServe.ChatTemplates.Syntax;

namespace LlmServe.ChatTemplates;

/// <summary>
/// A parsed Hugging Face chat template. Renders like transformers' apply_chat_template: Jinja2 sandbox,
/// trim_blocks, lstrip_blocks, loop controls, <c>raise_exception</c>, <c>strftime_now</c> and a json.dumps
/// <c>tojson</c>. Instances are immutable and safe to render from many threads.
/// </summary>
public sealed class ChatTemplate
{
    private const int CacheLimit = 128;
    private static readonly ConcurrentDictionary<string, ChatTemplate> Cache = new(StringComparer.Ordinal);

    private readonly IReadOnlyList<Stmt> _body;

    private ChatTemplate(string source, IReadOnlyList<Stmt> body)
    {
        Source = source;
        _body = body;
    }

    public string Source { get; }

    /// <summary>Parses (or returns the cached parse of) <paramref name="source"/>; throws <see cref="TemplateException"/> on syntax errors.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (Cache.TryGetValue(source, out ChatTemplate? cached))
        {
            return cached;
        }

        IReadOnlyList<Stmt> body;
        try
        {
            body = Parser.ParseTemplate(source);
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new TemplateException("template nesting is too deep", e);
        }

        var template = new ChatTemplate(source, body);
        if (Cache.Count >= CacheLimit)
        {
            Cache.Clear();
        }

        return Cache.GetOrAdd(source, template);
    }

    /// <summary>Renders the typed chat input; throws <see cref="TemplateException"/> (check <see cref="TemplateException.IsClientError"/>).</summary>
    public string Render(ChatTemplateInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = input.Messages,
            ["tools"] = input.Tools,
            ["documents"] = input.Documents,
            ["add_generation_prompt"] = input.AddGenerationPrompt,
        };
        if (input.BosToken is not null)
        {
            variables["bos_token"] = input.BosToken;
        }

        if (input.EosToken is not null)
        {
            variables["eos_token"] = input.EosToken;
        }

        if (input.Extra is not null)
        {
            foreach (KeyValuePair<string, object?> kv in input.Extra)
            {
                variables[kv.Key] = kv.Value;
            }
        }

        return Render(variables, input.Clock);
    }

    /// <summary>
    /// Renders with arbitrary variables: CLR primitives, dictionaries, lists, <see cref="ChatMessage"/>,
    /// System.Text.Json <c>JsonElement</c>/<c>JsonNode</c>.
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> variables, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var scope = new Scope(null);
        foreach (KeyValuePair<string, object?> kv in variables)
        {
            scope.Set(kv.Key, ValueConverter.ToValue(kv.Value));
        }

        var interpreter = new Interpreter(clock ?? TimeProvider.System);
        try
        {
            return interpreter.Render(_body, new Scope(scope));
        }
        catch (InsufficientExecutionStackException e)
        {
            throw new TemplateException("maximum recursion depth exceeded", e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidCastException or IndexOutOfRangeException
                                   or FormatException or OverflowException or KeyNotFoundException or NullReferenceException)
        {
            // A gap in this interpreter must surface as a template failure of this request, never take down the service.
            throw new TemplateException($"template evaluation failed: {e.Message}", e);
        }
    }
}
