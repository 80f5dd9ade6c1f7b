namespace LlmServe.LoadGen.Arrivals;

/// <summary>
/// When each request is sent, in seconds after the start. A finite rate gives a Poisson process (independent
/// exponential gaps of mean 1/rate, seeded, as <c>vllm bench serve</c> with burstiness 1); an infinite rate sends
/// everything at once and leaves the pacing to --max-concurrency.
/// </summary>
public static class ArrivalSchedule
{
    public static double[] Create(int count, double requestsPerSecond, int seed)
    {
        if (requestsPerSecond <= 0 || double.IsNaN(requestsPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(requestsPerSecond), "The request rate must be positive (or infinite).");
        }
        var times = new double[count];
        if (double.IsPositiveInfinity(requestsPerSecond))
        {
            return times;
        }
        var random = new Random(seed);
        double t = 0;
        for (int i = 1; i < count; i++)
        {
            t += -Math.Log(1 - random.NextDouble()) / requestsPerSecond;
            times[i] = t;
        }
        return times;
    }
}
