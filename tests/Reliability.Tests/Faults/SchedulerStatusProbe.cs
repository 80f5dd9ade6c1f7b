using LlmServe.Contracts;
using LlmServe.Messaging;

namespace LlmServe.Reliability.Tests.Faults;

/// <summary>Reads the scheduler's periodic <see cref="SchedulerStatus"/> from the bus (running, waiting, KV usage).</summary>
public sealed class SchedulerStatusProbe(string natsUrl, string model)
{
    /// <summary>Waits for a status that satisfies <paramref name="condition"/>; the bus connection is opened per call so it survives server restarts.</summary>
    public async Task<SchedulerStatus> WaitForAsync(Func<SchedulerStatus, bool> condition, TimeSpan timeout)
    {
        await using var bus = await NatsBus.ConnectAsync(new NatsBusOptions { Url = natsUrl });
        await using var subscription = await bus.SubscribeAsync(Subjects.Status(model));
        using var deadline = new CancellationTokenSource(timeout);
        SchedulerStatus? last = null;
        try
        {
            await foreach (var message in subscription.ReadAllAsync(deadline.Token))
            {
                last = SchedulerStatus.Parser.ParseFrom(message.Payload.Span);
                if (condition(last))
                {
                    return last;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new TimeoutException($"no matching scheduler status within {timeout}; last: {last}");
    }

    /// <summary>Idle and every KV block free: nothing leaked.</summary>
    public Task<SchedulerStatus> WaitForIdleAsync(TimeSpan timeout) =>
        WaitForAsync(s => s.Serving && s.Running == 0 && s.Waiting == 0 && s.KvCacheUsage == 0f, timeout);
}
