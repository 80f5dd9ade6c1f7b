using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>
/// Server-sent events as OpenAI frames them: <c>data: {json}\n\n</c>, ending with <c>data: [DONE]\n\n</c>.
/// One JSON writer per stream, reset per event, writes straight into the response pipe.
/// </summary>
internal sealed class SseWriter(PipeWriter pipe) : IDisposable
{
    private readonly Utf8JsonWriter _json = new(pipe, JsonOutput.Streaming);

    /// <summary>Starts an event and returns the writer for its JSON payload.</summary>
    public Utf8JsonWriter BeginEvent()
    {
        pipe.Write("data: "u8);
        _json.Reset(pipe);
        return _json;
    }

    public void EndEvent()
    {
        _json.Flush();
        pipe.Write("\n\n"u8);
    }

    public void WriteDone() => pipe.Write("data: [DONE]\n\n"u8);

    /// <summary>Sends what the events so far wrote; one flush per bus chunk, not per event.</summary>
    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken) => pipe.FlushAsync(cancellationToken);

    public void Dispose() => _json.Dispose();
}
