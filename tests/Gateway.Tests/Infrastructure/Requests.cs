using System.Text;

namespace LlmServe.Gateway.Tests.Infrastructure;

/// <summary>Request bodies the tests share.</summary>
public static class Requests
{
    public const string Chat = """{"model":"test-model","messages":[{"role":"user","content":"Hi"}]}""";

    public const string Completion = """{"model":"test-model","prompt":"Once upon"}""";

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, string json) =>
        await client.PostAsync(path, Json(json));
}
