namespace LlmServe.TestSupport;

/// <summary>
/// Counts a service's output lines that contain a marker from the moment it is created, however many lines the
/// service prints after them (its kept output is bounded, so old lines roll off).
/// </summary>
public sealed class OutputWatch(string marker)
{
    private int _count;

    public string Marker { get; } = marker;

    /// <summary>Matching lines seen since the watch started.</summary>
    public int Count => Volatile.Read(ref _count);

    internal void Offer(string line)
    {
        if (line.Contains(Marker, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _count);
        }
    }

    /// <summary>Waits until at least <paramref name="atLeast"/> matching lines were seen.</summary>
    public async Task WaitAsync(int atLeast, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Count < atLeast)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{Marker}' was printed {Count} times within {timeout}, fewer than {atLeast}");
            }
            await Task.Delay(50);
        }
    }
}
