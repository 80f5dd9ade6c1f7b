using System.Diagnostics;
using LlmServe.LoadGen.Datasets;
using LlmServe.LoadGen.Http;

namespace LlmServe.LoadGen.Running;

/// <summary>
/// Sends the workload: each request at its arrival time, then waiting for one of --max-concurrency slots (so
/// arrivals keep their schedule while the server is saturated, as in vLLM). Warm-up requests go first and are not
/// measured. The run's duration is from the first send to the last completion.
/// </summary>
public sealed class BenchmarkRunner(StreamingRequestSender sender)
{
    public sealed record Result(IReadOnlyList<RequestOutcome> Outcomes, double DurationSeconds);

    public async Task<Result> RunAsync(IReadOnlyList<BenchRequest> requests, IReadOnlyList<double> arrivals, int? maxConcurrency,
        IReadOnlyList<BenchRequest> warmups, ProgressBar? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(arrivals);
        ArgumentNullException.ThrowIfNull(warmups);
        int slots = maxConcurrency ?? requests.Count;
        if (warmups.Count > 0)
        {
            using var warm = new SemaphoreSlim(Math.Min(slots, warmups.Count));
            await Task.WhenAll(warmups.Select(async w =>
            {
                await warm.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await sender.SendAsync(w, Stopwatch.GetTimestamp(), cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    warm.Release();
                }
            })).ConfigureAwait(false);
        }

        using var gate = new SemaphoreSlim(slots);
        var tasks = new Task<RequestOutcome>[requests.Count];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < requests.Count; i++)
        {
            double wait = arrivals[i] - Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken).ConfigureAwait(false);
            }
            tasks[i] = SendOneAsync(requests[i], gate, start, progress, cancellationToken);
        }
        var outcomes = await Task.WhenAll(tasks).ConfigureAwait(false);
        double duration = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return new Result(outcomes, duration);
    }

    private async Task<RequestOutcome> SendOneAsync(BenchRequest request, SemaphoreSlim gate, long start, ProgressBar? progress, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var outcome = await sender.SendAsync(request, start, cancellationToken).ConfigureAwait(false);
            progress?.Report(outcome.Success);
            return outcome;
        }
        finally
        {
            gate.Release();
        }
    }
}
