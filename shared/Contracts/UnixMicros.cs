namespace LlmServe.Contracts;

/// <summary>
/// Wall-clock time in Unix microseconds, the unit of <see cref="RequestTiming"/> and <see cref="StepTiming"/>. Stamps from
/// different processes are compared, so they are wall-clock (one machine's clock in a bench run), not monotonic.
/// </summary>
public static class UnixMicros
{
    public static long Now(TimeProvider? time = null) => From((time ?? TimeProvider.System).GetUtcNow());

    public static long From(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
}
