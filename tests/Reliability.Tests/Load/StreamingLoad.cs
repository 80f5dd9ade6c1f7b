using System.Collections.Concurrent;

namespace LlmServe.Reliability.Tests.Load;

/// <summary>
/// A steady load: <c>concurrency</c> clients, each sending streaming chat completions one after another until
/// stopped. Every request's outcome is kept, with its start and end times, so a test can count what happened
/// around a fault.
/// </summary>
public sealed class StreamingLoad : IAsyncDisposable
{
    private readonly StreamingChatClient _client;
    private readonly int _concurrency;
    private readonly int _seed;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public StreamingLoad(StreamingChatClient client, int concurrency, int seed = 1)
    {
        _client = client;
        _concurrency = concurrency;
        _seed = seed;
    }

    public ConcurrentQueue<RequestOutcome> Outcomes { get; } = new();

    /// <summary>Mixed lengths: prompt 1-60 words, 4-48 tokens out; every tenth request is not streamed.</summary>
    public bool Mixed { get; init; }

    public int MinTokens { get; init; } = 16;

    public int MaxTokens { get; init; } = 48;

    public StreamingLoad Start()
    {
        for (int i = 0; i < _concurrency; i++)
        {
            int loop = i;
            _loops.Add(Task.Run(() => LoopAsync(loop)));
        }
        return this;
    }

    /// <summary>Stops sending; waits for the requests in flight to end (each is bounded by the hang limit).</summary>
    public async Task<IReadOnlyList<RequestOutcome>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        return [.. Outcomes];
    }

    private async Task LoopAsync(int loop)
    {
        var random = new Random(_seed * 1000 + loop);
        int n = 0;
        while (!_stop.IsCancellationRequested)
        {
            int words = Mixed ? random.Next(1, 60) : 8;
            string prompt = string.Join(' ', Enumerable.Range(0, words).Select(w => $"w{random.Next(1000)}")) + $" loop {loop} request {n++}";
            int maxTokens = random.Next(MinTokens, MaxTokens + 1);
            bool stream = !Mixed || random.Next(10) != 0;
            // The request itself is not cancelled by Stop: it runs to its end so its outcome counts.
            var outcome = await _client.SendAsync(prompt, maxTokens, stream);
            Outcomes.Enqueue(outcome);
            if (outcome.Kind != OutcomeKind.Completed)
            {
                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }
}
