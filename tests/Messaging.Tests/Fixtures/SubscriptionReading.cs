namespace LlmServe.Messaging.Tests.Fixtures;

/// <summary>Reading a known number of messages with a deadline, so a missing message fails the test instead of hanging it.</summary>
public static class SubscriptionReading
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task<List<BusMessage>> ReadAsync(this IBusSubscription subscription, int count, TimeSpan? timeout = null)
    {
        var received = new List<BusMessage>(count);
        if (count == 0)
        {
            return received;
        }

        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await foreach (var message in subscription.ReadAllAsync(deadline.Token))
            {
                received.Add(message);
                if (received.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Received {received.Count} of {count} messages on '{subscription.Subject}' before the deadline.");
        }

        return received;
    }

    /// <summary>Reads until the subscription completes (unsubscribed, max reached, drained).</summary>
    public static async Task<List<BusMessage>> ReadToEndAsync(this IBusSubscription subscription, TimeSpan? timeout = null)
    {
        var received = new List<BusMessage>();
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        await foreach (var message in subscription.ReadAllAsync(deadline.Token))
        {
            received.Add(message);
        }

        return received;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(10);
        }
    }
}
