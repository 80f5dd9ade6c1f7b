using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;

namespace LlmServe.Messaging.Requests;

/// <summary>
/// Request/reply over one shared inbox subscription (<c>_INBOX.&lt;nuid&gt;.*</c>): each request gets a
/// numeric token as its last subject token, and the reply's token finds the waiting request. Many requests
/// can be in flight at once without a subscription each.
/// </summary>
internal sealed class RequestManager
{
    private readonly ConcurrentDictionary<long, PendingRequest> pending = new();
    private long lastToken;

    public RequestManager(string prefix = "_INBOX")
    {
        InboxPrefix = prefix + "." + Nuid.Next() + ".";
        InboxSubject = InboxPrefix + "*";
    }

    /// <summary>"PREFIX.&lt;nuid&gt;." (PREFIX is <c>_INBOX</c> unless configured) — every reply subject starts with it.</summary>
    public string InboxPrefix { get; }

    /// <summary>The wildcard subject the shared inbox subscription listens on.</summary>
    public string InboxSubject { get; }

    public int InFlight => pending.Count;

    public PendingRequest Create(string subject)
    {
        var token = Interlocked.Increment(ref lastToken);
        var request = new PendingRequest(subject, token, InboxPrefix + token.ToString(CultureInfo.InvariantCulture));
        pending[token] = request;
        return request;
    }

    /// <summary>Waits for the reply; the request is forgotten however the wait ends.</summary>
    public async ValueTask<BusMessage> WaitAsync(PendingRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await request.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No reply to the request on '{request.Subject}' within {timeout.TotalMilliseconds} ms.");
        }
        finally
        {
            pending.TryRemove(request.Token, out _);
        }
    }

    public void Forget(PendingRequest request) => pending.TryRemove(request.Token, out _);

    /// <summary>Finds (and removes) the request a reply subject belongs to; false for late or foreign replies.</summary>
    public bool TryTake(ReadOnlySpan<byte> replySubject, out PendingRequest request)
    {
        request = null!;
        var dot = replySubject.LastIndexOf((byte)'.');
        return dot >= 0
            && Utf8Parser.TryParse(replySubject[(dot + 1)..], out long token, out var consumed)
            && consumed == replySubject.Length - dot - 1
            && pending.TryRemove(token, out request!);
    }

    public bool TryTake(ReadOnlySpan<char> replySubject, out PendingRequest request)
    {
        request = null!;
        var dot = replySubject.LastIndexOf('.');
        return dot >= 0
            && long.TryParse(replySubject[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var token)
            && pending.TryRemove(token, out request!);
    }

    /// <summary>Fails every waiting request (the bus closed).</summary>
    public void FailAll(Exception reason)
    {
        foreach (var token in pending.Keys)
        {
            if (pending.TryRemove(token, out var request))
            {
                request.TrySetException(reason);
            }
        }
    }
}
