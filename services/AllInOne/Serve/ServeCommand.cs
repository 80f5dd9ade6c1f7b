using System.CommandLine;
using LlmServe.AllInOne.Demo;

namespace LlmServe.AllInOne.Serve;

/// <summary>`serve` (the default): every service in one process, printing the URL and an example request.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Hugging Face model directory; omit for the built-in random-weight demo model" };
        var name = new Option<string?>("--served-model-name") { Description = "Name clients use in \"model\" (default: the directory name, or \"demo\")" };
        var host = new Option<string>("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "HTTP port", DefaultValueFactory = _ => 8000 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto", DefaultValueFactory = _ => "cpu" };
        var nats = new Option<string?>("--nats") { Description = "Join a real NATS (e.g. nats://127.0.0.1:4222) instead of the in-process bus" };
        var maxModelLen = new Option<int>("--max-model-len") { Description = "Context limit (0 = the model's)" };
        var kvMemory = new Option<int>("--kv-cache-memory") { Description = "KV cache size in MiB (CPU backend)", DefaultValueFactory = _ => 256 };
        var maxSeqs = new Option<int>("--max-num-seqs") { Description = "Most sequences per step", DefaultValueFactory = _ => 64 };
        var maxTokens = new Option<int>("--max-num-batched-tokens") { Description = "Token budget per step (chunked prefill)", DefaultValueFactory = _ => 512 };
        var apiKey = new Option<string[]>("--api-key") { Description = "Require this bearer key (repeatable)" };

        var command = new Command("serve", "Serve the OpenAI-compatible API with every service in this process (the default command)")
        {
            model, name, host, port, device, nats, maxModelLen, kvMemory, maxSeqs, maxTokens, apiKey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new ServeSettings
            {
                ModelDirectory = parse.GetValue(model),
                ServedModelName = parse.GetValue(name),
                Host = parse.GetValue(host) ?? "127.0.0.1",
                Port = parse.GetValue(port),
                Device = parse.GetValue(device) ?? "cpu",
                NatsUrl = parse.GetValue(nats),
                MaxModelLen = parse.GetValue(maxModelLen),
                KvCacheMemoryMiB = parse.GetValue(kvMemory),
                MaxNumSeqs = parse.GetValue(maxSeqs),
                MaxNumBatchedTokens = parse.GetValue(maxTokens),
                ApiKeys = parse.GetValue(apiKey) ?? [],
            };
            if (settings.ModelDirectory is null)
            {
                Console.WriteLine("No --model given: serving the built-in demo model (tiny, RANDOM weights: it answers with gibberish).");
            }
            var app = AllInOneHost.Build(settings);
            string servedName = settings.ServedModelName ?? (settings.ModelDirectory is null ? DemoModelWriter.ServedName : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(settings.ModelDirectory))));
            await app.StartAsync(cancellationToken);
            string url = $"http://{settings.Host}:{settings.Port}";
            Console.WriteLine($"Serving model \"{servedName}\" at {url}  (bus: {(settings.NatsUrl ?? "in-process")}, device: {settings.Device})");
            Console.WriteLine($"Web console (playground and dashboard): {url}/");
            Console.WriteLine("Try:");
            Console.WriteLine($"  curl -N {url}/v1/chat/completions -H 'Content-Type: application/json' \\");
            Console.WriteLine($"    -d '{{\"model\":\"{servedName}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello!\"}}],\"max_tokens\":32,\"stream\":true}}'");
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
