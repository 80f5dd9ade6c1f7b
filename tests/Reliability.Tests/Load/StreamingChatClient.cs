using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace LlmServe.Reliability.Tests.Load;

/// <summary>
/// Sends one streaming chat completion and reads its SSE stream to the end, the way an OpenAI client does, and says
/// how it ended. A request that has not ended after the hang limit is abandoned and counted as hung.
/// </summary>
public sealed class StreamingChatClient(HttpClient http, string model, TimeSpan hangLimit)
{
    public string? ApiKey { get; init; }

    public async Task<RequestOutcome> SendAsync(string prompt, int maxTokens, bool stream = true, CancellationToken cancellationToken = default)
    {
        var started = DateTime.UtcNow;
        using var hang = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hang.CancelAfter(hangLimit);
        try
        {
            var (kind, status, error, retryable) = await RunAsync(prompt, maxTokens, stream, hang.Token);
            return new RequestOutcome(started, DateTime.UtcNow, kind, status, error, retryable);
        }
        catch (OperationCanceledException) when (hang.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new RequestOutcome(started, DateTime.UtcNow, OutcomeKind.Hung, 0, "hung", false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return new RequestOutcome(started, DateTime.UtcNow, OutcomeKind.Failed, 0, e.GetType().Name, true);
        }
    }

    private async Task<(OutcomeKind, int, string?, bool)> RunAsync(string prompt, int maxTokens, bool stream, CancellationToken ct)
    {
        string body = JsonSerializer.Serialize(new
        {
            model,
            messages = new[] { new { role = "user", content = prompt } },
            max_tokens = maxTokens,
            temperature = 0,
            stream,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (ApiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        int status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            string text = await response.Content.ReadAsStringAsync(ct);
            return (OutcomeKind.Failed, status, ErrorCode(text) ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture),
                response.Headers.RetryAfter is not null || status is 503 or 429 or 504);
        }
        if (!stream)
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            bool finished = json.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String;
            return finished ? (OutcomeKind.Completed, status, null, false) : (OutcomeKind.Failed, status, "unfinished", false);
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        bool sawFinish = false;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }
            string data = line["data: ".Length..];
            if (data == "[DONE]")
            {
                return sawFinish ? (OutcomeKind.Completed, status, null, false) : (OutcomeKind.Failed, status, "done_without_finish", false);
            }
            using var json = JsonDocument.Parse(data);
            if (json.RootElement.TryGetProperty("error", out var error))
            {
                string code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "error";
                return (OutcomeKind.Failed, status, code, code is "worker_failed" or "no_workers" or "timeout");
            }
            foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
            {
                sawFinish |= choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String;
            }
        }
        return (OutcomeKind.Failed, status, "stream_cut", true);
    }

    private static string? ErrorCode(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("error").GetProperty("code").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
