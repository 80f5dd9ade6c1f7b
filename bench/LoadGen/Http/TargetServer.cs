using System.Net;
using System.Net.Http.Headers;

namespace LlmServe.LoadGen.Http;

/// <summary>
/// The OpenAI-compatible server under test and the one <see cref="HttpClient"/> every request goes through:
/// a <see cref="SocketsHttpHandler"/> with enough connections for the concurrency, no proxy, no decompression.
/// </summary>
public sealed class TargetServer : IDisposable
{
    public TargetServer(Uri baseUrl, string endpoint, string model, string? apiKey, int maxConnections, TimeSpan requestTimeout)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        Endpoint = endpoint;
        Model = model;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(1, maxConnections),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        };
        Http = new HttpClient(handler) { BaseAddress = BaseUrl, Timeout = requestTimeout };
        if (!string.IsNullOrEmpty(apiKey))
        {
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public Uri BaseUrl { get; }

    /// <summary>Path of the generation endpoint, e.g. <c>/v1/completions</c>.</summary>
    public string Endpoint { get; }

    public string Model { get; }

    public HttpClient Http { get; }

    public bool IsChat => Endpoint.Contains("chat", StringComparison.OrdinalIgnoreCase);

    /// <summary>A path relative to the base URL (the base may itself end in <c>/v1</c> or not).</summary>
    public Uri Resolve(string path) => new(BaseUrl, path.TrimStart('/'));

    public void Dispose() => Http.Dispose();
}
