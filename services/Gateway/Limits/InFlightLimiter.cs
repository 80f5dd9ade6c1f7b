using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Metrics;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.Limits;

/// <summary>Caps the generations this gateway runs at once; past the cap requests are refused (429), not queued.</summary>
public sealed class InFlightLimiter(IOptions<GatewayOptions> options, GatewayMetrics metrics)
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Takes a slot, or returns false when all are taken. Pair a true result with <see cref="Exit"/>.</summary>
    public bool TryEnter()
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Interlocked.Increment(ref _count) > options.Value.MaxInFlight)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        metrics.InFlightChanged(1);
        return true;
    }

    public void Exit()
    {
        Interlocked.Decrement(ref _count);
        metrics.InFlightChanged(-1);
    }
}
