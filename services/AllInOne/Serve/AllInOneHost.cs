using LlmServe.AllInOne.Demo;
using LlmServe.Detokenizer;
using LlmServe.Gateway;
using LlmServe.Hosting;
using LlmServe.Messaging.Hosting;
using LlmServe.Scheduler.Service;
using LlmServe.Tokenizer;
using LlmServe.Worker;

namespace LlmServe.AllInOne.Serve;

/// <summary>Builds the web application that runs the gateway, tokenizer, scheduler, worker and detokenizer together.</summary>
public static class AllInOneHost
{
    /// <summary>
    /// Builds the host. Command-line settings are defaults: appsettings.json and environment variables
    /// (e.g. <c>Scheduler__MaxNumSeqs</c>) still override them, as in the separate services.
    /// </summary>
    public static WebApplication Build(ServeSettings settings, string[]? extraArgs = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string modelDirectory = settings.ModelDirectory ?? EnsureDemoModel();
        string servedName = settings.ServedModelName
            ?? (settings.ModelDirectory is null ? DemoModelWriter.ServedName : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDirectory))));

        var builder = WebApplication.CreateBuilder(extraArgs ?? []);
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData = settings.ToConfiguration(modelDirectory, servedName),
        });
        builder.AddServiceDefaults();
        builder.Services.AddMessageBus(builder.Configuration);
        builder.Services.AddTokenizerService(builder.Configuration);
        builder.Services.AddSchedulerService(builder.Configuration);
        builder.Services.AddWorkerService(builder.Configuration);
        builder.Services.AddDetokenizerService(builder.Configuration);
        builder.Services.AddGateway(builder.Configuration);

        var app = builder.Build();
        app.MapGateway();
        return app;
    }

    /// <summary>Writes the demo model once into the user's cache and returns its directory.</summary>
    public static string EnsureDemoModel()
    {
        string root = Environment.GetEnvironmentVariable("LLMSERVE_CACHE") is { Length: > 0 } cache
            ? cache
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "llmserve");
        string directory = Path.Combine(root, "demo-model-v1");
        if (!File.Exists(Path.Combine(directory, "model.safetensors")))
        {
            string staging = directory + ".tmp-" + Environment.ProcessId;
            DemoModelWriter.Write(staging);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
            Directory.Move(staging, directory);
        }
        return directory;
    }
}
