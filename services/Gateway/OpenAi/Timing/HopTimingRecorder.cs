using LlmServe.Contracts;

namespace LlmServe.Gateway.OpenAi.Timing;

/// <summary>
/// Collects a timed request's stamps as its chunks pass through the gateway: which chunks arrived (their stamps came with
/// them, the gateway's receive stamp included), and when the bytes carrying them were written to the client. Exists only
/// for requests with <see cref="HopTimingHeader"/>; one HTTP request's handler uses it from one task.
/// </summary>
internal sealed class HopTimingRecorder(long arrivedUs, int prompts, TimeProvider time)
{
    private readonly List<TimedChunk> _chunks = [];
    private readonly RequestTiming?[] _requests = new RequestTiming?[prompts];
    private int _written;

    /// <summary>Notes a chunk the handler has absorbed; it counts as written at the next <see cref="MarkWritten"/>.</summary>
    public void Add(int promptIndex, ResponseChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if ((uint)promptIndex < (uint)_requests.Length && chunk.RequestTiming is { } request && _requests[promptIndex] is null)
        {
            _requests[promptIndex] = request;
        }
        if (chunk.StepTiming is { } step)
        {
            bool hasText = false;
            foreach (ChoiceText choice in chunk.Choices)
            {
                hasText |= choice.Text.Length > 0;
            }
            _chunks.Add(new TimedChunk(promptIndex, step, hasText));
        }
    }

    /// <summary>Stamps every chunk added since the last call as written now (call it as their bytes are handed to the connection).</summary>
    public void MarkWritten()
    {
        if (_written == _chunks.Count)
        {
            return;
        }
        long now = UnixMicros.Now(time);
        for (int i = _written; i < _chunks.Count; i++)
        {
            _chunks[i].Step.GatewayWrittenUs = now;
        }
        _written = _chunks.Count;
    }

    public HopBreakdown Complete(IReadOnlyList<long> tokenizePublishedUs) =>
        HopBreakdown.Compute(arrivedUs, tokenizePublishedUs, _requests, _chunks);
}
