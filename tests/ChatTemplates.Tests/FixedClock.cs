namespace LlmServe.ChatTemplates.Tests;

/// <summary>The fixtures' strftime_now is pinned to 2026-11-25 14:30:05 local time; here local time is UTC.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public static readonly FixedClock FixtureTime = new(new DateTimeOffset(2026, 11, 25, 14, 30, 5, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => now;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
