using System.Text;

namespace LlmServe.Gateway.Tests.OpenAi;

/// <summary>One malformed request and what the gateway must answer.</summary>
public sealed record BadInputCase(string Method, string Path, byte[] Body, string? ContentType, string? ApiKey, int Status, string? Param);

/// <summary>The bad-input suite's cases, by name.</summary>
public static class BadInputCases
{
    public const string Key = "sk-bad-input";

    private const string Chat = "v1/chat/completions";
    private const string Completions = "v1/completions";
    private const string Msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

    public static IReadOnlyDictionary<string, BadInputCase> All { get; } = Build();

    public static TheoryData<string> Names => new(All.Keys.Order(StringComparer.Ordinal));

    private static Dictionary<string, BadInputCase> Build()
    {
        var cases = new Dictionary<string, BadInputCase>(StringComparer.Ordinal);

        void Raw(string name, string path, byte[] body, int status = 400, string? param = null, string? contentType = "application/json",
            string method = "POST", string? apiKey = Key) =>
            cases.Add(name, new BadInputCase(method, path, body, contentType, apiKey, status, param));
        void Json(string name, string path, string body, int status = 400, string? param = null) =>
            Raw(name, path, Encoding.UTF8.GetBytes(body), status, param);
        // A chat request with one extra field (or a replaced messages list when the fragment starts with "messages").
        void ChatWith(string name, string fragment, string? param, int status = 400) =>
            Json(name, Chat, fragment.StartsWith("\"messages\"", StringComparison.Ordinal)
                ? "{\"model\":\"test-model\"," + fragment + "}"
                : "{\"model\":\"test-model\"," + Msgs + "," + fragment + "}", status, param);
        void CompletionWith(string name, string fragment, string? param, int status = 400) =>
            Json(name, Completions, fragment.StartsWith("\"prompt\"", StringComparison.Ordinal)
                ? "{\"model\":\"test-model\"," + fragment + "}"
                : "{\"model\":\"test-model\",\"prompt\":\"Hi\"," + fragment + "}", status, param);

        // Malformed bodies
        Json("json: unterminated object", Chat, "{");
        Json("json: empty body", Chat, "");
        Json("json: not json", Chat, "not json");
        Json("json: array root", Chat, "[1,2]");
        Json("json: string root", Chat, "\"hello\"");
        Json("json: number root", Chat, "42");
        Json("json: null root", Chat, "null");
        Json("json: trailing comma", Chat, "{\"model\":\"test-model\"," + Msgs + ",}");
        Json("json: single quotes", Chat, "{'model':'test-model'}");
        Json("json: comments", Chat, "{/* x */\"model\":\"test-model\"," + Msgs + "}");
        Json("json: too deep", Chat, string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100));
        Json("json: truncated string", Completions, "{\"model\":\"test-model\",\"prompt\":\"abc");
        Raw("utf8: invalid byte in string", Chat,
            [.. "{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\""u8, 0xFF, 0xFE, .. "\"}]}"u8]);
        Raw("utf8: overlong encoding", Completions, [.. "{\"model\":\"test-model\",\"prompt\":\""u8, 0xC0, 0xAF, .. "\"}"u8]);
        Raw("utf8: lone surrogate bytes", Completions, [.. "{\"model\":\"test-model\",\"prompt\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8]);
        Raw("utf8: truncated sequence", Completions, [.. "{\"model\":\"test-model\",\"prompt\":\""u8, 0xE2, 0x82, .. "\"}"u8]);

        // model
        Json("model: number", Chat, "{\"model\":5," + Msgs + "}", 400, "model");
        Json("model: array", Chat, "{\"model\":[\"test-model\"]," + Msgs + "}", 400, "model");
        Json("model: unknown", Chat, "{\"model\":\"gpt-17\"," + Msgs + "}", 404, "model");
        Json("model: missing with several served", Chat, "{" + Msgs + "}", 400, "model");
        Json("model: unknown completions", Completions, "{\"model\":\"nope\",\"prompt\":\"x\"}", 404, "model");

        // messages
        Json("messages: missing", Chat, "{\"model\":\"test-model\",\"n\":1}", 400, "messages");
        ChatWith("messages: string", "\"messages\":\"hello\"", "messages");
        ChatWith("messages: object", "\"messages\":{\"role\":\"user\"}", "messages");
        ChatWith("messages: empty", "\"messages\":[]", "messages");
        ChatWith("messages: item is string", "\"messages\":[\"hi\"]", "messages[0]");
        ChatWith("messages: item is number", "\"messages\":[5]", "messages[0]");
        ChatWith("messages: missing role", "\"messages\":[{\"content\":\"hi\"}]", "messages[0].role");
        ChatWith("messages: role number", "\"messages\":[{\"role\":1,\"content\":\"hi\"}]", "messages[0].role");
        ChatWith("messages: unknown role", "\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]", "messages[0].role");
        ChatWith("messages: empty role", "\"messages\":[{\"role\":\"\",\"content\":\"hi\"}]", "messages[0].role");
        ChatWith("messages: role wrong case", "\"messages\":[{\"role\":\"User\",\"content\":\"hi\"}]", "messages[0].role");
        ChatWith("messages: user without content", "\"messages\":[{\"role\":\"user\"}]", "messages[0].content");
        ChatWith("messages: content number", "\"messages\":[{\"role\":\"user\",\"content\":42}]", "messages[0].content");
        ChatWith("messages: content object", "\"messages\":[{\"role\":\"user\",\"content\":{\"text\":\"hi\"}}]", "messages[0].content");
        ChatWith("messages: content bool", "\"messages\":[{\"role\":\"user\",\"content\":true}]", "messages[0].content");
        ChatWith("messages: part not object", "\"messages\":[{\"role\":\"user\",\"content\":[\"hi\"]}]", "messages[0].content[0]");
        ChatWith("messages: part type number", "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":1,\"text\":\"hi\"}]}]", "messages[0].content[0].type");
        ChatWith("messages: part without type", "\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]", "messages[0].content[0].type");
        ChatWith("messages: image part", "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]", "messages[0].content[0].type");
        ChatWith("messages: text part without text", "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]", "messages[0].content[0].text");
        ChatWith("messages: text part number", "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]", "messages[0].content[0].text");
        ChatWith("messages: name number", "\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":5}]", "messages[0].name");
        ChatWith("messages: tool_call_id number", "\"messages\":[{\"role\":\"tool\",\"content\":\"r\",\"tool_call_id\":7}]", "messages[0].tool_call_id");
        ChatWith("messages: tool_calls object", "\"messages\":[{\"role\":\"assistant\",\"tool_calls\":{}}]", "messages[0].tool_calls");
        ChatWith("messages: reasoning_content number", "\"messages\":[{\"role\":\"assistant\",\"content\":\"a\",\"reasoning_content\":1}]", "messages[0].reasoning_content");
        ChatWith("messages: second item bad", "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"robot\",\"content\":\"x\"}]", "messages[1].role");

        // sampling parameters
        ChatWith("temperature: string", "\"temperature\":\"hot\"", "temperature");
        ChatWith("temperature: negative", "\"temperature\":-1", "temperature");
        ChatWith("temperature: huge", "\"temperature\":1e308", "temperature");
        ChatWith("temperature: bool", "\"temperature\":true", "temperature");
        ChatWith("top_p: zero", "\"top_p\":0", "top_p");
        ChatWith("top_p: above one", "\"top_p\":1.5", "top_p");
        ChatWith("top_p: negative", "\"top_p\":-0.1", "top_p");
        ChatWith("top_p: string", "\"top_p\":\"x\"", "top_p");
        ChatWith("top_k: below -1", "\"top_k\":-2", "top_k");
        ChatWith("top_k: fraction", "\"top_k\":1.5", "top_k");
        ChatWith("top_k: string", "\"top_k\":\"5\"", "top_k");
        ChatWith("min_p: negative", "\"min_p\":-0.1", "min_p");
        ChatWith("min_p: above one", "\"min_p\":2", "min_p");
        ChatWith("presence_penalty: above 2", "\"presence_penalty\":3", "presence_penalty");
        ChatWith("presence_penalty: below -2", "\"presence_penalty\":-3", "presence_penalty");
        ChatWith("presence_penalty: string", "\"presence_penalty\":\"x\"", "presence_penalty");
        ChatWith("frequency_penalty: above 2", "\"frequency_penalty\":2.5", "frequency_penalty");
        ChatWith("frequency_penalty: array", "\"frequency_penalty\":[1]", "frequency_penalty");
        ChatWith("repetition_penalty: zero", "\"repetition_penalty\":0", "repetition_penalty");
        ChatWith("repetition_penalty: negative", "\"repetition_penalty\":-1", "repetition_penalty");
        ChatWith("max_tokens: zero", "\"max_tokens\":0", "max_tokens");
        ChatWith("max_tokens: negative", "\"max_tokens\":-5", "max_tokens");
        ChatWith("max_tokens: huge", "\"max_tokens\":1000000000000", "max_tokens");
        ChatWith("max_tokens: enormous float", "\"max_tokens\":1e400", "max_tokens");
        ChatWith("max_tokens: string", "\"max_tokens\":\"10\"", "max_tokens");
        ChatWith("max_tokens: fraction", "\"max_tokens\":1.5", "max_tokens");
        ChatWith("max_tokens: bool", "\"max_tokens\":true", "max_tokens");
        ChatWith("max_completion_tokens: zero", "\"max_completion_tokens\":0", "max_completion_tokens");
        ChatWith("min_tokens: negative", "\"min_tokens\":-1", "min_tokens");
        ChatWith("min_tokens: above max_tokens", "\"min_tokens\":10,\"max_tokens\":5", "min_tokens");
        ChatWith("n: zero", "\"n\":0", "n");
        ChatWith("n: 1000", "\"n\":1000", "n");
        ChatWith("n: negative", "\"n\":-1", "n");
        ChatWith("n: string", "\"n\":\"2\"", "n");
        ChatWith("n: fraction", "\"n\":2.5", "n");
        ChatWith("best_of: unsupported", "\"best_of\":3", "best_of");
        ChatWith("seed: string", "\"seed\":\"x\"", "seed");
        ChatWith("seed: fraction", "\"seed\":1.5", "seed");
        ChatWith("seed: too large", "\"seed\":1e30", "seed");
        ChatWith("logit_bias: array", "\"logit_bias\":[]", "logit_bias");
        ChatWith("logit_bias: non-numeric key", "\"logit_bias\":{\"abc\":1}", "logit_bias");
        ChatWith("logit_bias: negative key", "\"logit_bias\":{\"-1\":1}", "logit_bias");
        ChatWith("logit_bias: value out of range", "\"logit_bias\":{\"5\":500}", "logit_bias");
        ChatWith("logit_bias: value string", "\"logit_bias\":{\"5\":\"x\"}", "logit_bias");
        ChatWith("logprobs: string", "\"logprobs\":\"yes\"", "logprobs");
        ChatWith("logprobs: number", "\"logprobs\":1", "logprobs");
        ChatWith("top_logprobs: too many", "\"logprobs\":true,\"top_logprobs\":50", "top_logprobs");
        ChatWith("top_logprobs: negative", "\"logprobs\":true,\"top_logprobs\":-1", "top_logprobs");
        ChatWith("top_logprobs: without logprobs", "\"top_logprobs\":5", "top_logprobs");

        // stop
        ChatWith("stop: number", "\"stop\":5", "stop");
        ChatWith("stop: object", "\"stop\":{\"a\":1}", "stop");
        ChatWith("stop: list of numbers", "\"stop\":[1]", "stop");
        ChatWith("stop: empty string", "\"stop\":\"\"", "stop");
        ChatWith("stop: empty string in list", "\"stop\":[\"a\",\"\"]", "stop");
        ChatWith("stop: 1000 strings", "\"stop\":[" + string.Join(",", Enumerable.Range(0, 1000).Select(i => $"\"s{i}\"")) + "]", "stop");
        ChatWith("stop: 1000-char string", "\"stop\":\"" + new string('x', 1000) + "\"", "stop");
        ChatWith("stop_token_ids: string", "\"stop_token_ids\":\"x\"", "stop_token_ids");
        ChatWith("stop_token_ids: negative", "\"stop_token_ids\":[-1]", "stop_token_ids");
        ChatWith("stop_token_ids: fraction", "\"stop_token_ids\":[1.5]", "stop_token_ids");

        // streaming and flags
        ChatWith("stream: string", "\"stream\":\"yes\"", "stream");
        ChatWith("stream: number", "\"stream\":1", "stream");
        ChatWith("stream_options: without stream", "\"stream_options\":{\"include_usage\":true}", "stream_options");
        ChatWith("stream_options: string", "\"stream\":true,\"stream_options\":\"x\"", "stream_options");
        ChatWith("stream_options: include_usage string", "\"stream\":true,\"stream_options\":{\"include_usage\":\"y\"}", "include_usage");
        ChatWith("tools: string", "\"tools\":\"x\"", "tools");
        ChatWith("tools: list of numbers", "\"tools\":[1]", "tools");
        ChatWith("chat_template_kwargs: list", "\"chat_template_kwargs\":[]", "chat_template_kwargs");
        ChatWith("add_generation_prompt: string", "\"add_generation_prompt\":\"x\"", "add_generation_prompt");
        ChatWith("continue_final_message with add_generation_prompt", "\"continue_final_message\":true,\"add_generation_prompt\":true", "continue_final_message");
        ChatWith("ignore_eos: string", "\"ignore_eos\":\"x\"", "ignore_eos");
        ChatWith("skip_special_tokens: number", "\"skip_special_tokens\":1", "skip_special_tokens");
        ChatWith("include_stop_str_in_output: string", "\"include_stop_str_in_output\":\"x\"", "include_stop_str_in_output");
        ChatWith("priority: string", "\"priority\":\"x\"", "priority");
        ChatWith("priority: huge", "\"priority\":1e20", "priority");
        ChatWith("user: number", "\"user\":5", "user");
        ChatWith("response_format: json_object", "\"response_format\":{\"type\":\"json_object\"}", "response_format");
        ChatWith("response_format: string", "\"response_format\":\"json\"", "response_format");

        // completions prompt shapes
        Json("prompt: missing", Completions, "{\"model\":\"test-model\",\"max_tokens\":5}", 400, "prompt");
        CompletionWith("prompt: number", "\"prompt\":5", "prompt");
        CompletionWith("prompt: bool", "\"prompt\":true", "prompt");
        CompletionWith("prompt: object", "\"prompt\":{}", "prompt");
        CompletionWith("prompt: empty list", "\"prompt\":[]", "prompt");
        CompletionWith("prompt: empty token list", "\"prompt\":[[]]", "prompt");
        CompletionWith("prompt: negative token id", "\"prompt\":[-1]", "prompt");
        CompletionWith("prompt: token id too large", "\"prompt\":[2147483648]", "prompt");
        CompletionWith("prompt: ids mixed with string", "\"prompt\":[1,\"a\"]", "prompt");
        CompletionWith("prompt: strings mixed with number", "\"prompt\":[\"a\",1]", "prompt");
        CompletionWith("prompt: nested strings", "\"prompt\":[[\"a\"]]", "prompt");
        CompletionWith("prompt: token lists mixed with string", "\"prompt\":[[1],\"a\"]", "prompt");
        CompletionWith("prompt: list of nulls", "\"prompt\":[null]", "prompt");
        CompletionWith("prompt: 100 prompts", "\"prompt\":[" + string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"p{i}\"")) + "]", "prompt");
        CompletionWith("logprobs: bool", "\"logprobs\":true", "logprobs");
        CompletionWith("logprobs: too many", "\"logprobs\":50", "logprobs");
        CompletionWith("logprobs: negative", "\"logprobs\":-1", "logprobs");
        CompletionWith("echo: string", "\"echo\":\"x\"", "echo");
        CompletionWith("suffix: unsupported", "\"suffix\":\"abc\"", "suffix");
        CompletionWith("n: 1000 on completions", "\"n\":1000", "n");
        CompletionWith("temperature: negative on completions", "\"temperature\":-0.5", "temperature");

        // tokenize / detokenize
        Json("tokenize: neither prompt nor messages", "tokenize", "{\"model\":\"test-model\"}", 400, "prompt");
        Json("tokenize: prompt number", "tokenize", "{\"model\":\"test-model\",\"prompt\":5}", 400, "prompt");
        Json("tokenize: empty messages", "tokenize", "{\"model\":\"test-model\",\"messages\":[]}", 400, "messages");
        Json("tokenize: unknown model", "tokenize", "{\"model\":\"nope\",\"prompt\":\"x\"}", 404, "model");
        Json("detokenize: tokens missing", "detokenize", "{\"model\":\"test-model\"}", 400, "tokens");
        Json("detokenize: tokens string", "detokenize", "{\"model\":\"test-model\",\"tokens\":\"x\"}", 400, "tokens");
        Json("detokenize: negative token", "detokenize", "{\"model\":\"test-model\",\"tokens\":[-1]}", 400, "tokens");
        Json("detokenize: string token", "detokenize", "{\"model\":\"test-model\",\"tokens\":[\"a\"]}", 400, "tokens");

        // HTTP level: methods, content types, paths, size
        byte[] chat = Encoding.UTF8.GetBytes("{\"model\":\"test-model\"," + Msgs + "}");
        Raw("http: GET chat completions", Chat, [], 405, method: "GET", contentType: null);
        Raw("http: PUT completions", Completions, chat, 405, method: "PUT");
        Raw("http: DELETE models", "v1/models", [], 405, method: "DELETE", contentType: null);
        Raw("http: PATCH tokenize", "tokenize", chat, 405, method: "PATCH");
        Raw("http: text/plain body", Chat, chat, 415, contentType: "text/plain");
        Raw("http: form body", Chat, "model=test-model"u8.ToArray(), 415, contentType: "application/x-www-form-urlencoded");
        Raw("http: xml body", Completions, "<prompt/>"u8.ToArray(), 415, contentType: "application/xml");
        Raw("http: multipart body", Chat, chat, 415, contentType: "multipart/form-data; boundary=x");
        Raw("http: unknown path", "v1/engines", chat, 404);
        Raw("http: unknown model id", "v1/models/nope", [], 404, "model", method: "GET", contentType: null);
        Raw("http: 10 MB body", Completions,
            Encoding.UTF8.GetBytes("{\"model\":\"test-model\",\"prompt\":\"" + new string('a', 10 * 1024 * 1024) + "\"}"), 413);

        // API keys
        Raw("auth: missing key", Chat, chat, 401, apiKey: null);
        Raw("auth: wrong key", Chat, chat, 401, apiKey: "sk-wrong");
        Raw("auth: key with other case", Chat, chat, 401, apiKey: Key.ToUpperInvariant());
        Raw("auth: key prefix only", Chat, chat, 401, apiKey: Key[..5]);
        Raw("auth: key plus suffix", Chat, chat, 401, apiKey: Key + "x");
        Raw("auth: basic scheme", Chat, chat, 401, apiKey: "basic:" + Key);
        Raw("auth: empty bearer", Chat, chat, 401, apiKey: "");
        Raw("auth: wrong key on tokenize", "tokenize", "{\"model\":\"test-model\",\"prompt\":\"x\"}"u8.ToArray(), 401, apiKey: "nope");
        Raw("auth: missing key on models", "v1/models", [], 401, method: "GET", contentType: null, apiKey: null);
        return cases;
    }
}
