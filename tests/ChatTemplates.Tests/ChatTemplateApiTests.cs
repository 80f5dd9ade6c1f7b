using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmServe.ChatTemplates.Tests;

/// <summary>The public surface the tokenizer service and gateway use: parsing, caching, inputs, errors, concurrency.</summary>
public sealed class ChatTemplateApiTests
{
    private const string Echo = "{% for m in messages %}[{{ m.role }}|{{ m.content }}|{{ m.name }}|{{ m.tool_call_id }}|{{ m.reasoning_content is defined }}]{% endfor %}"
        + "{{ tools | tojson }}|{{ add_generation_prompt }}|{{ bos_token }}|{{ eos_token is defined }}|{{ enable_thinking }}";

    [Fact]
    public void Parse_returns_the_cached_instance_for_the_same_source()
    {
        string source = "cached {{ 1 + 1 }} " + Guid.NewGuid();
        Assert.Same(ChatTemplate.Parse(source), ChatTemplate.Parse(source));
    }

    [Fact]
    public void Typed_input_maps_messages_tools_tokens_and_kwargs()
    {
        var input = new ChatTemplateInput
        {
            Messages =
            [
                ChatMessage.System("sys"),
                new ChatMessage { Role = "user", Content = "hi", Name = "ann" },
                new ChatMessage { Role = "assistant", Content = "ok", ReasoningContent = "thought" },
                new ChatMessage { Role = "tool", Content = "42", ToolCallId = "call_1" },
            ],
            Tools = JsonNode.Parse("""[{"type":"function","function":{"name":"f","parameters":{"n":1.0,"k":[true,null]}}}]"""),
            AddGenerationPrompt = true,
            BosToken = "<s>",
            Extra = new Dictionary<string, object?> { ["enable_thinking"] = false },
        };

        string text = ChatTemplate.Parse(Echo).Render(input);

        Assert.Equal(
            "[system|sys|||False][user|hi|ann||False][assistant|ok|||True][tool|42||call_1|False]"
            + """[{"type": "function", "function": {"name": "f", "parameters": {"n": 1.0, "k": [true, null]}}}]|True|<s>|False|False""",
            text);
    }

    [Fact]
    public void Json_element_variables_pass_through_like_json_loads()
    {
        using JsonDocument doc = JsonDocument.Parse("""{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image"}]}],"n":3,"f":3.0,"big":1e400}""");
        var variables = doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value, StringComparer.Ordinal);

        string text = ChatTemplate.Parse("{{ messages[0].content }} {{ n }} {{ f }} {{ big }} {{ n is integer }} {{ f is float }}").Render(variables);

        Assert.Equal("[{'type': 'text', 'text': 'a'}, {'type': 'image'}] 3 3.0 inf True True", text);
    }

    [Fact]
    public void Clr_values_convert_to_template_values()
    {
        var variables = new Dictionary<string, object?>
        {
            ["list"] = new object?[] { 1, 2.5f, "x", null, true },
            ["map"] = new Dictionary<string, object?> { ["k"] = new List<int> { 1, 2 } },
        };

        Assert.Equal("[1, 2.5, 'x', None, True] {'k': [1, 2]}", ChatTemplate.Parse("{{ list }} {{ map }}").Render(variables));
    }

    [Fact]
    public void Content_parts_render_as_a_list_of_dicts()
    {
        var input = new ChatTemplateInput
        {
            Messages = [new ChatMessage { Role = "user", ContentParts = [ChatContentPart.FromText("look"), new ChatContentPart { Type = "image" }] }],
        };

        string text = ChatTemplate.Parse("{% for p in messages[0].content %}{{ p.type }}:{{ p.text }};{% endfor %}").Render(input);

        Assert.Equal("text:look;image:;", text);
    }

    [Fact]
    public void Raise_exception_is_a_client_error_with_the_templates_message()
    {
        ChatTemplate template = ChatTemplate.Parse("ok\n{{ raise_exception('Roles must alternate, got ' ~ messages | length) }}");

        TemplateException e = Assert.Throws<TemplateException>(() => template.Render(new ChatTemplateInput { Messages = [ChatMessage.User("a")] }));

        Assert.Equal("Roles must alternate, got 1", e.Message);
        Assert.Equal(TemplateErrorKind.Raised, e.Kind);
        Assert.True(e.IsClientError);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Syntax_errors_carry_line_and_column()
    {
        TemplateException e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("line one\n\n   {{ a + * b }}"));

        Assert.Equal(TemplateErrorKind.Syntax, e.Kind);
        Assert.False(e.IsClientError);
        Assert.Equal(3, e.Line);
        Assert.Equal(11, e.Column);
        Assert.Contains("line 3", e.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_errors_point_at_the_innermost_failing_expression()
    {
        ChatTemplate template = ChatTemplate.Parse("{% for m in messages %}\n{% if true %}\n  {{ m.content + 1 }}\n{% endif %}\n{% endfor %}");

        TemplateException e = Assert.Throws<TemplateException>(() => template.Render(new ChatTemplateInput { Messages = [ChatMessage.User("a")] }));

        Assert.Equal(TemplateErrorKind.Runtime, e.Kind);
        Assert.Equal("can only concatenate str (not \"int\") to str", e.Message);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Strftime_now_reads_the_injected_clock_in_its_local_time()
    {
        var clock = new FixedClock(new DateTimeOffset(2024, 7, 4, 9, 5, 0, TimeSpan.Zero));

        string text = ChatTemplate.Parse("{{ strftime_now('%d %b %Y %H:%M %A') }}").Render(new Dictionary<string, object?>(), clock);

        Assert.Equal("04 Jul 2024 09:05 Thursday", text);
    }

    [Fact]
    public void Concurrent_renders_of_one_template_do_not_interfere()
    {
        ChatTemplate template = ChatTemplate.Parse(
            "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + m.content | int %}{% endfor %}{{ ns.n }}");
        string[] results = new string[64];

        Parallel.For(0, results.Length, i =>
        {
            var input = new ChatTemplateInput { Messages = Enumerable.Range(0, i + 1).Select(k => ChatMessage.User(k.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList() };
            results[i] = template.Render(input);
        });

        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal((i * (i + 1) / 2).ToString(System.Globalization.CultureInfo.InvariantCulture), results[i]);
        }
    }

    [Fact]
    public void Runaway_recursion_fails_cleanly_even_on_a_small_stack()
    {
        ChatTemplate template = ChatTemplate.Parse("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}");
        TemplateException? caught = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    template.Render(new Dictionary<string, object?>());
                }
                catch (TemplateException e)
                {
                    caught = e;
                }
            },
            256 * 1024);

        thread.Start();
        thread.Join();

        Assert.NotNull(caught);
        Assert.Equal(TemplateErrorKind.Runtime, caught.Kind);
    }

    [Fact]
    public void Mutating_methods_are_refused_like_the_immutable_sandbox()
    {
        TemplateException e = Assert.Throws<TemplateException>(() =>
            ChatTemplate.Parse("{% set l = [] %}{{ l.append(1) }}").Render(new Dictionary<string, object?>()));

        Assert.Equal("access to attribute 'append' of 'list' object is unsafe.", e.Message);
    }

    [Fact]
    public void Caller_values_are_not_mutated_by_template_assignments()
    {
        var tools = new JsonArray(new JsonObject { ["name"] = "f" });
        var input = new ChatTemplateInput { Messages = [ChatMessage.System("s"), ChatMessage.User("u")], Tools = tools };

        string text = ChatTemplate.Parse("{% set messages = messages[1:] %}{{ messages | length }}{% set tools = none %}").Render(input);

        Assert.Equal("1", text);
        Assert.Single(tools);
        Assert.Equal(2, input.Messages.Count);
    }
}
