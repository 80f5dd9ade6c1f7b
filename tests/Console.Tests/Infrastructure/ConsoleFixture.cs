using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(LlmServe.Console.Tests.Infrastructure.ConsoleFixture))]
// One server for all tests: a test's requests must not share the scheduler's batches with another test's (the
// playground test compares the page's greedy answer with the API's, and batch shape can change CPU kernels).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace LlmServe.Console.Tests.Infrastructure;

/// <summary>One server and one headless Chromium for every test in the assembly.</summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium (scripts/test-setup.sh installs it); Playwright's own browser download does not work here.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public ConsoleServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots go: $LLMSERVE_ARTIFACTS/console, else artifacts/console next to the test binaries.</summary>
    public static string ArtifactsDirectory { get; } = Path.Combine(
        Environment.GetEnvironmentVariable("LLMSERVE_ARTIFACTS") is { Length: > 0 } root ? root : Path.Combine(AppContext.BaseDirectory, "artifacts"),
        "console");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(ArtifactsDirectory);
        Server = await ConsoleServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // --no-sandbox: CI runs as root, where Chromium refuses its sandbox. The rest keeps it off the network.
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        });
    }

    /// <summary>A fresh browser context (empty session storage) and page, 1280×900.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return page;
    }

    /// <summary>Saves a full-page screenshot under <see cref="ArtifactsDirectory"/> and logs its path.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        string path = Path.Combine(ArtifactsDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.SendDiagnosticMessage($"screenshot: {path}");
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
