namespace LlmServe.Messaging.Subscriptions;

/// <summary>The bus behind a <see cref="BusSubscription"/>: it knows how to stop the flow of messages.</summary>
internal interface ISubscriptionOwner
{
    /// <summary>Stops delivery now (<paramref name="maxMessages"/> null) or after that many more messages.</summary>
    ValueTask UnsubscribeAsync(BusSubscription subscription, int? maxMessages);

    /// <summary>The subscription delivered its last allowed message and completed itself; forget it.</summary>
    void OnMaxReached(BusSubscription subscription);
}
