using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace LlmServe.Messaging.Protocol;

/// <summary>Decodes a NATS/1.0 header block (the first part of an HMSG payload).</summary>
internal static class HeaderParser
{
    private const int StackLimit = 1024;

    private static ReadOnlySpan<byte> Version => "NATS/1.0"u8;

    public static MessageHeaders Parse(in ReadOnlySequence<byte> block)
    {
        if (block.IsSingleSegment)
        {
            return Parse(block.FirstSpan);
        }

        var length = checked((int)block.Length);
        byte[]? rented = null;
        var span = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            block.CopyTo(span);
            return Parse(span[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static MessageHeaders Parse(ReadOnlySpan<byte> block)
    {
        var lineEnd = block.IndexOf("\r\n"u8);
        if (lineEnd < 0 || !block.StartsWith(Version))
        {
            throw new BusProtocolException("Header block does not start with a NATS/1.0 line.");
        }

        var statusLine = block[Version.Length..lineEnd].TrimStart((byte)' ');
        var statusCode = 0;
        string? description = null;
        if (statusLine.Length > 0)
        {
            var space = statusLine.IndexOf((byte)' ');
            var code = space < 0 ? statusLine : statusLine[..space];
            if (!Utf8Parser.TryParse(code, out statusCode, out var consumed) || consumed != code.Length)
            {
                throw new BusProtocolException("Header status code is not a number.");
            }

            if (space >= 0)
            {
                description = Encoding.UTF8.GetString(statusLine[(space + 1)..].Trim((byte)' '));
            }
        }

        var headers = new MessageHeaders { StatusCode = statusCode, StatusDescription = description };
        var rest = block[(lineEnd + 2)..];
        while (true)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                throw new BusProtocolException("Header block is not terminated by an empty line.");
            }

            if (lineEnd == 0)
            {
                return headers;
            }

            var line = rest[..lineEnd];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                throw new BusProtocolException("Header line has no name.");
            }

            headers.Add(Encoding.UTF8.GetString(line[..colon]), Encoding.UTF8.GetString(line[(colon + 1)..].Trim((byte)' ')));
            rest = rest[(lineEnd + 2)..];
        }
    }
}
