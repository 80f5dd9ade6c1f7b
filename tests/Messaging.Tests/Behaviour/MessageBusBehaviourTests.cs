using System.Text;
using LlmServe.Messaging.Tests.Fixtures;

namespace LlmServe.Messaging.Tests.Behaviour;

/// <summary>
/// What every <see cref="IMessageBus"/> must do, written once. Each subclass says how to get a "client"
/// (for NATS a separate connection to the same server; in-process, the one shared bus).
/// </summary>
public abstract class MessageBusBehaviourTests : IAsyncLifetime
{
    private readonly List<IMessageBus> buses = [];

    protected static TimeSpan RequestTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <summary>A client of the bus under test; all clients of one test share one network.</summary>
    protected abstract Task<IMessageBus> CreateClientAsync();

    /// <summary>A client of a bus whose max payload is <see cref="NatsServerFixture.SmallMaxPayload"/>.</summary>
    protected abstract Task<IMessageBus> CreateSmallPayloadClientAsync();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var bus in buses)
        {
            await bus.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    protected async Task<IMessageBus> ClientAsync()
    {
        var bus = await CreateClientAsync();
        buses.Add(bus);
        return bus;
    }

    private static string UniqueSubject(string stem) => $"{stem}.{Guid.NewGuid():N}";

    [Fact]
    public async Task Published_message_reaches_a_subscriber_with_its_subject_and_payload()
    {
        var subscriber = await ClientAsync();
        var publisher = await ClientAsync();
        var subject = UniqueSubject("pubsub");
        await using var subscription = await subscriber.SubscribeAsync(subject);

        await publisher.PublishAsync(subject, "hello"u8.ToArray());

        var message = Assert.Single(await subscription.ReadAsync(1));
        Assert.Equal(subject, message.Subject);
        Assert.Equal("hello", Encoding.UTF8.GetString(message.Payload.Span));
        Assert.Null(message.ReplyTo);
        Assert.Null(message.Headers);
    }

    [Fact]
    public async Task Messages_from_one_publisher_arrive_in_order()
    {
        var subscriber = await ClientAsync();
        var publisher = await ClientAsync();
        var subject = UniqueSubject("order");
        await using var subscription = await subscriber.SubscribeAsync(subject);

        for (var i = 0; i < 500; i++)
        {
            await publisher.PublishAsync(subject, BitConverter.GetBytes(i));
        }

        var received = await subscription.ReadAsync(500);
        Assert.Equal(Enumerable.Range(0, 500), received.Select(message => BitConverter.ToInt32(message.Payload.Span)));
    }

    [Fact]
    public async Task Queue_group_gives_each_message_to_exactly_one_member_and_spreads_the_load()
    {
        const int Messages = 300;
        var subject = UniqueSubject("work");
        var members = new List<IBusSubscription>();
        for (var i = 0; i < 3; i++)
        {
            var client = await ClientAsync();
            members.Add(await client.SubscribeAsync(subject, "workers"));
        }

        var publisher = await ClientAsync();
        for (var i = 0; i < Messages; i++)
        {
            await publisher.PublishAsync(subject, BitConverter.GetBytes(i));
        }

        await publisher.FlushAsync();
        var counts = new int[3];
        var seen = new List<int>();
        using var deadline = new CancellationTokenSource(SubscriptionReading.DefaultTimeout);
        var readers = members.Select((member, index) => Task.Run(async () =>
        {
            try
            {
                await foreach (var message in member.ReadAllAsync(deadline.Token))
                {
                    lock (seen)
                    {
                        counts[index]++;
                        seen.Add(BitConverter.ToInt32(message.Payload.Span));
                        if (seen.Count == Messages)
                        {
                            deadline.Cancel();
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The deadline doubles as "all messages seen".
            }
        })).ToArray();
        await Task.WhenAll(readers);

        // Let any duplicate that would still arrive show up before judging.
        await Task.Delay(50);
        Assert.Equal(Messages, seen.Count);
        Assert.Equal(Enumerable.Range(0, Messages), seen.Order());
        Assert.All(counts, count => Assert.True(count > 0, $"A member received nothing: [{string.Join(", ", counts)}]"));
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }
    }

    [Fact]
    public async Task Plain_subscribers_and_a_queue_group_both_receive()
    {
        var subject = UniqueSubject("mixed");
        var client = await ClientAsync();
        await using var plain = await client.SubscribeAsync(subject);
        await using var grouped = await client.SubscribeAsync(subject, "g");

        await (await ClientAsync()).PublishAsync(subject, "x"u8.ToArray());

        Assert.Single(await plain.ReadAsync(1));
        Assert.Single(await grouped.ReadAsync(1));
    }

    [Fact]
    public async Task Wildcards_match_one_token_with_star_and_the_rest_with_greater_than()
    {
        var root = UniqueSubject("wild");
        var subscriber = await ClientAsync();
        await using var star = await subscriber.SubscribeAsync(root + ".*");
        await using var tail = await subscriber.SubscribeAsync(root + ".>");
        await using var middle = await subscriber.SubscribeAsync(root + ".*.end");
        var publisher = await ClientAsync();

        await publisher.PublishAsync(root + ".a", "1"u8.ToArray());
        await publisher.PublishAsync(root + ".a.b", "2"u8.ToArray());
        await publisher.PublishAsync(root + ".x.end", "3"u8.ToArray());
        await publisher.PublishAsync(root, "4"u8.ToArray());
        await publisher.PublishAsync(root + ".last", "5"u8.ToArray());

        Assert.Equal([root + ".a", root + ".last"], (await star.ReadAsync(2)).Select(message => message.Subject));
        Assert.Equal([root + ".a", root + ".a.b", root + ".x.end", root + ".last"], (await tail.ReadAsync(4)).Select(message => message.Subject));
        Assert.Equal([root + ".x.end"], (await middle.ReadAsync(1)).Select(message => message.Subject));
    }

    [Fact]
    public async Task Headers_and_reply_to_travel_with_the_message()
    {
        var subject = UniqueSubject("headers");
        var subscriber = await ClientAsync();
        await using var subscription = await subscriber.SubscribeAsync(subject);
        var headers = new MessageHeaders { { "Request-Id", "r-42" } };
        headers.Add("Trace", "a");
        headers.Add("Trace", "b");

        await (await ClientAsync()).PublishAsync(subject, "body"u8.ToArray(), replyTo: "reply.here", headers: headers);

        var message = Assert.Single(await subscription.ReadAsync(1));
        Assert.Equal("reply.here", message.ReplyTo);
        Assert.NotNull(message.Headers);
        Assert.Equal(["r-42"], message.Headers["Request-Id"]);
        Assert.Equal(["a", "b"], message.Headers["Trace"]);
        Assert.Equal(0, message.Headers.StatusCode);
        Assert.Equal("body", Encoding.UTF8.GetString(message.Payload.Span));
    }

    [Fact]
    public async Task Empty_payload_with_headers_is_delivered()
    {
        var subject = UniqueSubject("empty");
        var subscriber = await ClientAsync();
        await using var subscription = await subscriber.SubscribeAsync(subject);

        await (await ClientAsync()).PublishAsync(subject, ReadOnlyMemory<byte>.Empty, headers: new MessageHeaders { { "K", "V" } });

        var message = Assert.Single(await subscription.ReadAsync(1));
        Assert.True(message.Payload.IsEmpty);
        Assert.Equal(["V"], message.Headers!["K"]);
    }

    [Fact]
    public async Task Request_gets_the_reply_of_a_responder()
    {
        var subject = UniqueSubject("echo");
        var responderBus = await ClientAsync();
        await using var responder = await responderBus.SubscribeAsync(subject);
        var serving = ServeAsync(responderBus, responder, payload => [.. payload.Reverse()]);

        var reply = await (await ClientAsync()).RequestAsync(subject, "abc"u8.ToArray(), RequestTimeout,
            new MessageHeaders { { "Kind", "test" } });

        Assert.Equal("cba", Encoding.UTF8.GetString(reply.Payload.Span));
        await responder.UnsubscribeAsync();
        await serving;
    }

    [Fact]
    public async Task Request_to_a_subject_nobody_serves_fails_fast_with_no_responders()
    {
        var requester = await ClientAsync();
        var subject = UniqueSubject("nobody");
        var started = DateTime.UtcNow;

        var error = await Assert.ThrowsAsync<NoRespondersException>(
            async () => await requester.RequestAsync(subject, "?"u8.ToArray(), TimeSpan.FromSeconds(10)));

        Assert.Equal(subject, error.Subject);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "No-responders should not wait for the timeout.");
    }

    [Fact]
    public async Task Request_without_a_reply_times_out()
    {
        var subject = UniqueSubject("silent");
        var silentBus = await ClientAsync();
        await using var silent = await silentBus.SubscribeAsync(subject);

        await Assert.ThrowsAsync<TimeoutException>(
            async () => await (await ClientAsync()).RequestAsync(subject, "?"u8.ToArray(), TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Request_can_be_cancelled()
    {
        var subject = UniqueSubject("cancel");
        var silentBus = await ClientAsync();
        await using var silent = await silentBus.SubscribeAsync(subject);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await (await ClientAsync()).RequestAsync(subject, "?"u8.ToArray(), TimeSpan.FromSeconds(30), cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task A_thousand_concurrent_requests_each_get_their_own_reply()
    {
        var subject = UniqueSubject("concurrent");
        var responderBus = await ClientAsync();
        await using var responder = await responderBus.SubscribeAsync(subject);
        var serving = ServeAsync(responderBus, responder, payload => [.. payload, .. "!"u8]);
        var requester = await ClientAsync();

        var replies = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            var reply = await requester.RequestAsync(subject, Encoding.UTF8.GetBytes($"request-{i}"), TimeSpan.FromSeconds(20));
            return (i, text: Encoding.UTF8.GetString(reply.Payload.Span));
        }));

        Assert.All(replies, reply => Assert.Equal($"request-{reply.i}!", reply.text));
        await responder.UnsubscribeAsync();
        await serving;
    }

    [Fact]
    public async Task Payload_exactly_at_max_payload_is_delivered_and_one_byte_more_is_refused()
    {
        var bus = await CreateSmallPayloadClientAsync();
        buses.Add(bus);
        Assert.Equal(NatsServerFixture.SmallMaxPayload, bus.MaxPayload);
        var subject = UniqueSubject("max");
        await using var subscription = await bus.SubscribeAsync(subject);

        await bus.PublishAsync(subject, new byte[NatsServerFixture.SmallMaxPayload]);
        var tooLarge = await Assert.ThrowsAsync<PayloadTooLargeException>(
            async () => await bus.PublishAsync(subject, new byte[NatsServerFixture.SmallMaxPayload + 1]));
        // Headers count towards the limit, as the server counts them.
        await Assert.ThrowsAsync<PayloadTooLargeException>(async () => await bus.PublishAsync(
            subject, new byte[NatsServerFixture.SmallMaxPayload - 8], headers: new MessageHeaders { { "K", "V" } }));
        await bus.PublishAsync(subject, "after"u8.ToArray());

        var received = await subscription.ReadAsync(2);
        Assert.Equal(NatsServerFixture.SmallMaxPayload, received[0].Payload.Length);
        Assert.Equal("after", Encoding.UTF8.GetString(received[1].Payload.Span));
        Assert.Equal(NatsServerFixture.SmallMaxPayload + 1, tooLarge.Size);
        Assert.Equal(NatsServerFixture.SmallMaxPayload, tooLarge.MaxPayload);
        Assert.Equal(BusConnectionState.Connected, bus.State);
    }

    [Fact]
    public async Task Unsubscribe_with_max_ends_the_subscription_after_that_many_more_messages()
    {
        var subject = UniqueSubject("max-msgs");
        var subscriber = await ClientAsync();
        var subscription = await subscriber.SubscribeAsync(subject);
        await subscription.UnsubscribeAsync(3);
        await subscriber.FlushAsync();
        var publisher = await ClientAsync();

        for (var i = 0; i < 6; i++)
        {
            await publisher.PublishAsync(subject, BitConverter.GetBytes(i));
        }

        var received = await subscription.ReadToEndAsync();
        Assert.Equal([0, 1, 2], received.Select(message => BitConverter.ToInt32(message.Payload.Span)));
    }

    [Fact]
    public async Task Disposing_a_subscription_stops_delivery_and_completes_its_stream()
    {
        var subject = UniqueSubject("dispose");
        var subscriber = await ClientAsync();
        var subscription = await subscriber.SubscribeAsync(subject);
        var publisher = await ClientAsync();
        await publisher.PublishAsync(subject, "1"u8.ToArray());
        Assert.Single(await subscription.ReadAsync(1));

        await subscription.DisposeAsync();
        await subscriber.FlushAsync();
        await publisher.PublishAsync(subject, "2"u8.ToArray());
        await publisher.FlushAsync();

        Assert.Empty(await subscription.ReadToEndAsync());
    }

    [Fact]
    public async Task Slow_consumer_drops_are_counted_without_blocking_other_subscribers()
    {
        var subject = UniqueSubject("slow");
        var subscriber = await ClientAsync();
        await using var slow = await subscriber.SubscribeAsync(subject, options: new SubscriptionOptions { Capacity = 4 });
        await using var fast = await subscriber.SubscribeAsync(subject);
        var publisher = await ClientAsync();

        for (var i = 0; i < 20; i++)
        {
            await publisher.PublishAsync(subject, BitConverter.GetBytes(i));
        }

        Assert.Equal(20, (await fast.ReadAsync(20)).Count);
        await SubscriptionReading.WaitUntilAsync(() => slow.DroppedMessages == 16, "the slow consumer dropped 16");
        var kept = await slow.ReadAsync(4);
        Assert.Equal([0, 1, 2, 3], kept.Select(message => BitConverter.ToInt32(message.Payload.Span)));
    }

    [Fact]
    public async Task Publisher_may_reuse_its_buffer_right_after_publishing()
    {
        var subject = UniqueSubject("reuse");
        var subscriber = await ClientAsync();
        await using var subscription = await subscriber.SubscribeAsync(subject);
        var publisher = await ClientAsync();
        var buffer = "first"u8.ToArray();
        var headers = new MessageHeaders { { "N", "1" } };

        await publisher.PublishAsync(subject, buffer, headers: headers);
        "again"u8.CopyTo(buffer);
        headers["N"] = ["2"];
        await publisher.PublishAsync(subject, buffer, headers: headers);

        var received = await subscription.ReadAsync(2);
        Assert.Equal(["first", "again"], received.Select(message => Encoding.UTF8.GetString(message.Payload.Span)));
        Assert.Equal(["1", "2"], received.Select(message => message.Headers!["N"][0]));
    }

    [Fact]
    public async Task Drain_delivers_every_message_published_before_it_even_while_they_are_still_arriving()
    {
        // Many messages, and the drain starts at once: most are still between the server and the subscriber's reader
        // when the UNSUB goes out, and each must still reach the subscription.
        const int count = 20_000;
        var subject = UniqueSubject("drain-many");
        var subscriber = await ClientAsync();
        var subscription = await subscriber.SubscribeAsync(subject, options: new SubscriptionOptions { Capacity = count });
        await subscriber.FlushAsync();
        var publisher = await ClientAsync();
        for (var i = 0; i < count; i++)
        {
            await publisher.PublishAsync(subject, BitConverter.GetBytes(i));
        }

        await publisher.FlushAsync();
        var reading = subscription.ReadToEndAsync();
        await subscriber.DrainAsync();

        Assert.Equal(Enumerable.Range(0, count), (await reading).Select(message => BitConverter.ToInt32(message.Payload.Span)));
    }

    [Fact]
    public async Task Drain_lets_consumers_finish_what_they_hold_then_closes()
    {
        var subject = UniqueSubject("drain");
        var subscriber = await ClientAsync();
        var subscription = await subscriber.SubscribeAsync(subject);
        var publisher = await ClientAsync();
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(subject, BitConverter.GetBytes(i));
        }

        await publisher.FlushAsync();
        var states = new List<BusConnectionState>();
        subscriber.StateChanged += (_, state) => states.Add(state);
        var reading = subscription.ReadToEndAsync();
        await subscriber.DrainAsync();

        Assert.Equal(Enumerable.Range(0, 10), (await reading).Select(message => BitConverter.ToInt32(message.Payload.Span)));
        Assert.Equal(BusConnectionState.Closed, subscriber.State);
        Assert.Contains(BusConnectionState.Closed, states);
        await Assert.ThrowsAsync<BusClosedException>(async () => await subscriber.PublishAsync(subject, "late"u8.ToArray()));
    }

    [Fact]
    public async Task Invalid_subjects_are_rejected_before_anything_is_sent()
    {
        var bus = await ClientAsync();

        await Assert.ThrowsAsync<ArgumentException>(async () => await bus.PublishAsync("has space", "x"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(async () => await bus.PublishAsync("", "x"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(async () => await bus.PublishAsync("a..b", "x"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(async () => await bus.SubscribeAsync("a.>.b"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await bus.SubscribeAsync("a.b*"));
        await Assert.ThrowsAsync<ArgumentException>(async () => await bus.SubscribeAsync("ok", "bad group"));
        Assert.Equal(BusConnectionState.Connected, bus.State);
    }

    /// <summary>Answers every request on <paramref name="subscription"/> until it ends.</summary>
    protected static Task ServeAsync(IMessageBus bus, IBusSubscription subscription, Func<byte[], byte[]> reply) =>
        Task.Run(async () =>
        {
            await foreach (var request in subscription.ReadAllAsync())
            {
                if (request.ReplyTo is not null)
                {
                    await bus.PublishAsync(request.ReplyTo, reply(request.Payload.ToArray()));
                }
            }
        });
}
