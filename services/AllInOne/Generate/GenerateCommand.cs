using System.CommandLine;
using System.Globalization;

namespace LlmServe.AllInOne.Generate;

/// <summary>`generate`: offline generation from token ids or text, like vLLM's LLM.generate.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model directory (config.json + *.safetensors)", Required = true };
        var promptIds = new Option<string[]>("--prompt-ids")
        {
            Description = "Prompt as comma-separated token ids; repeat for several prompts (batched together)",
            AllowMultipleArgumentsPerToken = false,
        };
        var prompt = new Option<string[]>("--prompt") { Description = "Prompt text, encoded with the model's tokenizer.json; repeatable" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer.json to use instead of the model directory's" };
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate per prompt", DefaultValueFactory = _ => 16 };
        var temperature = new Option<float?>("--temperature") { Description = "0 = greedy (default: generation_config.json, else 1)" };
        var topP = new Option<float?>("--top-p") { Description = "Nucleus sampling mass" };
        var topK = new Option<int?>("--top-k") { Description = "Keep the k most likely tokens (0 = all)" };
        var seed = new Option<ulong?>("--seed") { Description = "Sampling seed (same seed, same tokens)" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Keep generating past end-of-sequence tokens" };
        var topLogprobs = new Option<int>("--top-logprobs") { Description = "Alternatives to report per token (JSON)" };
        var maxModelLen = new Option<int?>("--max-model-len") { Description = "Context limit (default: the model's)" };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = all cores)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with token_ids and logprobs" };

        var command = new Command("generate", "Generate tokens offline for one or more prompts")
        {
            model, promptIds, prompt, tokenizer, device, maxTokens, temperature, topP, topK, seed, ignoreEos, topLogprobs, maxModelLen, threads, json,
        };
        command.SetAction(parse =>
        {
            GenerateSettings settings;
            try
            {
                settings = new GenerateSettings
                {
                    ModelDirectory = parse.GetValue(model)!,
                    PromptIds = (parse.GetValue(promptIds) ?? []).Select(ParseIds).ToArray(),
                    Prompts = parse.GetValue(prompt) ?? [],
                    TokenizerPath = parse.GetValue(tokenizer),
                    Device = parse.GetValue(device) ?? "cpu",
                    MaxTokens = parse.GetValue(maxTokens),
                    Temperature = parse.GetValue(temperature),
                    TopP = parse.GetValue(topP),
                    TopK = parse.GetValue(topK),
                    Seed = parse.GetValue(seed),
                    IgnoreEos = parse.GetValue(ignoreEos),
                    TopLogprobs = parse.GetValue(topLogprobs),
                    MaxModelLength = parse.GetValue(maxModelLen),
                    Threads = parse.GetValue(threads),
                    Json = parse.GetValue(json),
                };
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }

            return GenerateRunner.Run(settings, Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary>"1,5,77" → [1, 5, 77].</summary>
    internal static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
            {
                throw new FormatException($"--prompt-ids: '{parts[i]}' is not a token id");
            }
        }

        return ids.Length > 0 ? ids : throw new FormatException("--prompt-ids: no token ids");
    }
}
