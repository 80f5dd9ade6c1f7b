using System.Diagnostics;
using System.Text;

namespace LlmServe.Messaging.Protocol;

/// <summary>
/// Serializes client operations straight into a caller's buffer. Every frame has a Get*Length twin so the
/// outbound buffer can reserve exactly the right span and the write never allocates.
/// </summary>
internal static class ProtocolWriter
{
    public static ReadOnlySpan<byte> Ping => "PING\r\n"u8;

    public static ReadOnlySpan<byte> Pong => "PONG\r\n"u8;

    public static int GetPublishLength(string subject, string? replyTo, int headerLength, int payloadLength)
    {
        var length = (headerLength > 0 ? 5 : 4) + Encoding.UTF8.GetByteCount(subject) + 1;
        if (replyTo is not null)
        {
            length += Encoding.UTF8.GetByteCount(replyTo) + 1;
        }

        if (headerLength > 0)
        {
            length += CountDigits(headerLength) + 1 + CountDigits(headerLength + payloadLength);
        }
        else
        {
            length += CountDigits(payloadLength);
        }

        return length + 2 + headerLength + payloadLength + 2;
    }

    /// <summary>
    /// An upper bound of <see cref="GetPublishLength"/> that skips measuring the subjects' UTF-8 length (a
    /// UTF-16 char never takes more than 3 bytes); the hot path reserves this and commits what was written.
    /// </summary>
    public static int GetMaxPublishLength(string subject, string? replyTo, int headerLength, int payloadLength) =>
        5 + (subject.Length * 3) + 1 + (replyTo is null ? 0 : (replyTo.Length * 3) + 1)
        + 10 + 1 + 10 + 2 + headerLength + payloadLength + 2;

    /// <summary>Writes PUB (or HPUB when <paramref name="headers"/> is given) and returns the bytes written.</summary>
    public static int WritePublish(Span<byte> destination, string subject, string? replyTo, MessageHeaders? headers,
        int headerLength, ReadOnlySpan<byte> payload) =>
        WritePublish(destination, subject, [], replyTo, headers, headerLength, payload);

    /// <summary>As above, with the subject already UTF-8 encoded when <paramref name="subjectUtf8"/> is not empty.</summary>
    public static int WritePublish(Span<byte> destination, string subject, ReadOnlySpan<byte> subjectUtf8, string? replyTo,
        MessageHeaders? headers, int headerLength, ReadOnlySpan<byte> payload)
    {
        int written;
        if (headerLength > 0)
        {
            "HPUB "u8.CopyTo(destination);
            written = 5;
        }
        else
        {
            "PUB "u8.CopyTo(destination);
            written = 4;
        }

        if (subjectUtf8.IsEmpty)
        {
            written += Encoding.UTF8.GetBytes(subject, destination[written..]);
        }
        else
        {
            subjectUtf8.CopyTo(destination[written..]);
            written += subjectUtf8.Length;
        }

        destination[written++] = (byte)' ';
        if (replyTo is not null)
        {
            written += Encoding.UTF8.GetBytes(replyTo, destination[written..]);
            destination[written++] = (byte)' ';
        }

        if (headerLength > 0)
        {
            written += WriteNumber(destination[written..], headerLength);
            destination[written++] = (byte)' ';
            written += WriteNumber(destination[written..], headerLength + payload.Length);
        }
        else
        {
            written += WriteNumber(destination[written..], payload.Length);
        }

        written += WriteCrLf(destination[written..]);
        if (headerLength > 0)
        {
            var headerWritten = HeaderWriter.Write(destination[written..], headers!);
            Debug.Assert(headerWritten == headerLength, "Header length changed between measuring and writing.");
            written += headerWritten;
        }

        payload.CopyTo(destination[written..]);
        written += payload.Length;
        written += WriteCrLf(destination[written..]);
        return written;
    }

    public static int GetSubscribeLength(string subject, string? queueGroup, long sid) =>
        4 + Encoding.UTF8.GetByteCount(subject) + 1
        + (queueGroup is null ? 0 : Encoding.UTF8.GetByteCount(queueGroup) + 1)
        + CountDigits(sid) + 2;

    public static int WriteSubscribe(Span<byte> destination, string subject, string? queueGroup, long sid)
    {
        "SUB "u8.CopyTo(destination);
        var written = 4;
        written += Encoding.UTF8.GetBytes(subject, destination[written..]);
        destination[written++] = (byte)' ';
        if (queueGroup is not null)
        {
            written += Encoding.UTF8.GetBytes(queueGroup, destination[written..]);
            destination[written++] = (byte)' ';
        }

        written += WriteNumber(destination[written..], sid);
        return written + WriteCrLf(destination[written..]);
    }

    public static int GetUnsubscribeLength(long sid, long? maxMessages) =>
        6 + CountDigits(sid) + (maxMessages is { } max ? 1 + CountDigits(max) : 0) + 2;

    public static int WriteUnsubscribe(Span<byte> destination, long sid, long? maxMessages)
    {
        "UNSUB "u8.CopyTo(destination);
        var written = 6;
        written += WriteNumber(destination[written..], sid);
        if (maxMessages is { } max)
        {
            destination[written++] = (byte)' ';
            written += WriteNumber(destination[written..], max);
        }

        return written + WriteCrLf(destination[written..]);
    }

    public static int CountDigits(long value)
    {
        Debug.Assert(value >= 0, "Protocol numbers are never negative.");
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    /// <summary>ASCII digits of a non-negative number; simpler (and faster for the small sizes on every PUB) than TryFormat.</summary>
    private static int WriteNumber(Span<byte> destination, long value)
    {
        var digits = CountDigits(value);
        for (var i = digits - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }

        return digits;
    }

    private static int WriteCrLf(Span<byte> destination)
    {
        destination[0] = (byte)'\r';
        destination[1] = (byte)'\n';
        return 2;
    }
}
