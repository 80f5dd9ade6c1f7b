using System.Buffers;
using System.Text;

namespace LlmServe.Messaging.Protocol;

/// <summary>Encodes <see cref="MessageHeaders"/> as a NATS/1.0 header block ("NATS/1.0\r\nKey: Value\r\n\r\n").</summary>
internal static class HeaderWriter
{
    private static readonly SearchValues<char> ForbiddenInKey = SearchValues.Create(" \t\r\n:");
    private static readonly SearchValues<char> ForbiddenInValue = SearchValues.Create("\r\n");

    private static ReadOnlySpan<byte> Version => "NATS/1.0"u8;

    /// <summary>Byte length of the encoded block; also validates keys and values so writing cannot fail halfway.</summary>
    public static int GetEncodedLength(MessageHeaders headers)
    {
        var length = Version.Length + 2 + 2;
        if (headers.StatusCode != 0)
        {
            length += 4;
            if (!string.IsNullOrEmpty(headers.StatusDescription))
            {
                ValidateValue(headers.StatusDescription);
                length += 1 + Encoding.UTF8.GetByteCount(headers.StatusDescription);
            }
        }

        foreach (var (key, values) in headers)
        {
            if (key.Length == 0 || key.AsSpan().IndexOfAny(ForbiddenInKey) >= 0)
            {
                throw new ArgumentException($"Header name '{key}' is empty or contains whitespace or ':'.", nameof(headers));
            }

            var keyLength = Encoding.UTF8.GetByteCount(key);
            foreach (var value in values)
            {
                ValidateValue(value);
                length += keyLength + 2 + Encoding.UTF8.GetByteCount(value) + 2;
            }
        }

        return length;
    }

    /// <summary>Writes the block; <paramref name="destination"/> must hold <see cref="GetEncodedLength"/> bytes.</summary>
    public static int Write(Span<byte> destination, MessageHeaders headers)
    {
        Version.CopyTo(destination);
        var written = Version.Length;
        if (headers.StatusCode != 0)
        {
            destination[written++] = (byte)' ';
            headers.StatusCode.TryFormat(destination[written..], out var digits, "D3", provider: null);
            written += digits;
            if (!string.IsNullOrEmpty(headers.StatusDescription))
            {
                destination[written++] = (byte)' ';
                written += Encoding.UTF8.GetBytes(headers.StatusDescription, destination[written..]);
            }
        }

        written += WriteCrLf(destination[written..]);
        foreach (var (key, values) in headers)
        {
            foreach (var value in values)
            {
                written += Encoding.UTF8.GetBytes(key, destination[written..]);
                destination[written++] = (byte)':';
                destination[written++] = (byte)' ';
                written += Encoding.UTF8.GetBytes(value, destination[written..]);
                written += WriteCrLf(destination[written..]);
            }
        }

        written += WriteCrLf(destination[written..]);
        return written;
    }

    private static void ValidateValue(string value)
    {
        if (value.AsSpan().IndexOfAny(ForbiddenInValue) >= 0)
        {
            throw new ArgumentException("Header values must not contain line breaks.", nameof(value));
        }
    }

    private static int WriteCrLf(Span<byte> destination)
    {
        destination[0] = (byte)'\r';
        destination[1] = (byte)'\n';
        return 2;
    }
}
