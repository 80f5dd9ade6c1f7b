namespace LlmServe.Gateway.Tests.Health;

/// <summary>A clock the test moves by hand; only wall-clock reads, no timers.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
