using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace LlmServe.Messaging.Protocol;

/// <summary>
/// Incremental parser for server-to-client NATS operations. It consumes whole operations only: when the
/// input ends mid-operation it returns false and leaves the input untouched, so the caller can wait for
/// more bytes. Anything that is not valid protocol raises <see cref="BusProtocolException"/>.
/// One instance per connection; not thread-safe.
/// </summary>
internal sealed class ProtocolParser
{
    /// <summary>Longest control line accepted; INFO with many cluster URLs is the longest legitimate one.</summary>
    public const int MaxControlLineLength = 64 * 1024;

    /// <summary>Largest message size accepted (the server's hard max_payload ceiling is 64 MB).</summary>
    public const int MaxMessageLength = 64 * 1024 * 1024;

    private const int MaxArguments = 5;

    private byte[]? lineScratch;

    public bool TryParse(ref ReadOnlySequence<byte> buffer, out ServerOp op)
    {
        op = default;
        if (!TryReadLine(buffer, out var line, out var lineLength))
        {
            return false;
        }

        if (line.Length == 0 || line[^1] != (byte)'\r')
        {
            throw new BusProtocolException("Control line is not terminated by CRLF.");
        }

        line = line[..^1];
        var nameEnd = line.IndexOfAny((byte)' ', (byte)'\t');
        var name = nameEnd < 0 ? line : line[..nameEnd];
        var args = nameEnd < 0 ? [] : line[(nameEnd + 1)..];

        if (Ascii.EqualsIgnoreCase(name, "MSG"u8) || Ascii.EqualsIgnoreCase(name, "HMSG"u8))
        {
            return TryParseMessage(ref buffer, args, lineLength, hasHeaders: name.Length == 4, out op);
        }

        if (Ascii.EqualsIgnoreCase(name, "PING"u8))
        {
            op = new ServerOp { Kind = ServerOpKind.Ping };
        }
        else if (Ascii.EqualsIgnoreCase(name, "PONG"u8))
        {
            op = new ServerOp { Kind = ServerOpKind.Pong };
        }
        else if (Ascii.EqualsIgnoreCase(name, "+OK"u8))
        {
            op = new ServerOp { Kind = ServerOpKind.Ok };
        }
        else if (Ascii.EqualsIgnoreCase(name, "INFO"u8))
        {
            var json = args.Trim((byte)' ');
            if (json.Length == 0 || json[0] != (byte)'{')
            {
                throw new BusProtocolException("INFO does not carry a JSON object.");
            }

            op = new ServerOp { Kind = ServerOpKind.Info, Text = json };
        }
        else if (Ascii.EqualsIgnoreCase(name, "-ERR"u8))
        {
            op = new ServerOp { Kind = ServerOpKind.Err, Text = args.Trim((byte)' ').Trim((byte)'\'') };
        }
        else
        {
            throw new BusProtocolException($"Unknown protocol operation '{Printable(name)}'.");
        }

        buffer = buffer.Slice(lineLength);
        return true;
    }

    private static bool TryParseMessage(ref ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> args, long lineLength,
        bool hasHeaders, out ServerOp op)
    {
        op = default;
        Span<Range> ranges = stackalloc Range[MaxArguments + 1];
        var count = SplitArguments(args, ranges);
        var expected = hasHeaders ? 4 : 3;
        if (count != expected && count != expected + 1)
        {
            throw new BusProtocolException($"{(hasHeaders ? "HMSG" : "MSG")} has {count} arguments.");
        }

        var hasReply = count == expected + 1;
        var subject = args[ranges[0]];
        var sid = ParseNumber(args[ranges[1]], "sid");
        var replyTo = hasReply ? args[ranges[2]] : [];
        var next = hasReply ? 3 : 2;
        long headerLength = 0;
        if (hasHeaders)
        {
            headerLength = ParseNumber(args[ranges[next++]], "header size");
        }

        var totalLength = ParseNumber(args[ranges[next]], "size");
        if (totalLength > MaxMessageLength || headerLength > totalLength)
        {
            throw new BusProtocolException($"Message size {totalLength} (headers {headerLength}) is out of range.");
        }

        if (buffer.Length < lineLength + totalLength + 2)
        {
            return false;
        }

        var body = buffer.Slice(lineLength, totalLength);
        Span<byte> trailer = stackalloc byte[2];
        buffer.Slice(body.End, 2).CopyTo(trailer);
        if (trailer[0] != (byte)'\r' || trailer[1] != (byte)'\n')
        {
            throw new BusProtocolException("Message payload is not followed by CRLF.");
        }

        op = new ServerOp
        {
            Kind = hasHeaders ? ServerOpKind.HMsg : ServerOpKind.Msg,
            Subject = subject,
            Sid = sid,
            ReplyTo = replyTo,
            Headers = hasHeaders ? body.Slice(0, headerLength) : default,
            Payload = hasHeaders ? body.Slice(headerLength) : body,
        };
        buffer = buffer.Slice(lineLength + totalLength + 2);
        return true;
    }

    private bool TryReadLine(in ReadOnlySequence<byte> buffer, out ReadOnlySpan<byte> line, out long lineLength)
    {
        line = default;
        lineLength = 0;
        var first = buffer.FirstSpan;
        var newline = first.IndexOf((byte)'\n');
        if (newline >= 0)
        {
            if (newline > MaxControlLineLength)
            {
                throw new BusProtocolException("Control line is too long.");
            }

            line = first[..newline];
            lineLength = newline + 1;
            return true;
        }

        var position = buffer.IsSingleSegment ? null : buffer.PositionOf((byte)'\n');
        if (position is null)
        {
            if (buffer.Length > MaxControlLineLength)
            {
                throw new BusProtocolException("Control line is too long.");
            }

            return false;
        }

        var lineBytes = buffer.Slice(0, position.Value);
        if (lineBytes.Length > MaxControlLineLength)
        {
            throw new BusProtocolException("Control line is too long.");
        }

        // A line split across segments is rare (only at a read boundary), so copying it is cheaper than
        // teaching every argument parser about sequences.
        lineScratch ??= new byte[MaxControlLineLength];
        lineBytes.CopyTo(lineScratch);
        line = lineScratch.AsSpan(0, (int)lineBytes.Length);
        lineLength = lineBytes.Length + 1;
        return true;
    }

    private static int SplitArguments(ReadOnlySpan<byte> args, Span<Range> ranges)
    {
        var count = 0;
        var index = 0;
        while (index < args.Length)
        {
            while (index < args.Length && args[index] is (byte)' ' or (byte)'\t')
            {
                index++;
            }

            if (index == args.Length)
            {
                break;
            }

            var start = index;
            while (index < args.Length && args[index] is not ((byte)' ' or (byte)'\t'))
            {
                index++;
            }

            if (count == ranges.Length)
            {
                throw new BusProtocolException("Too many arguments on a control line.");
            }

            ranges[count++] = new Range(start, index);
        }

        return count;
    }

    private static long ParseNumber(ReadOnlySpan<byte> text, string what)
    {
        if (!Utf8Parser.TryParse(text, out long value, out var consumed) || consumed != text.Length || value < 0)
        {
            throw new BusProtocolException($"Invalid {what} '{Printable(text)}'.");
        }

        return value;
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var shown = bytes[..Math.Min(bytes.Length, 32)];
        var text = Encoding.ASCII.GetString(shown);
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] is >= '!' and <= '~' ? source[i] : '?';
            }
        });
    }
}
