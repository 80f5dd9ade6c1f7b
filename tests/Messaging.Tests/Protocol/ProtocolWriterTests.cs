using System.Text;
using LlmServe.Messaging.Protocol;

namespace LlmServe.Messaging.Tests.Protocol;

public sealed class ProtocolWriterTests
{
    [Theory]
    [InlineData("a.b", null, "hello", "PUB a.b 5\r\nhello\r\n")]
    [InlineData("a.b", "_INBOX.x.1", "", "PUB a.b _INBOX.x.1 0\r\n\r\n")]
    [InlineData("subject", null, "0123456789", "PUB subject 10\r\n0123456789\r\n")]
    public void Publish_frames_match_the_protocol(string subject, string? replyTo, string payload, string expected)
    {
        var length = ProtocolWriter.GetPublishLength(subject, replyTo, 0, payload.Length);
        var buffer = new byte[length];

        var written = ProtocolWriter.WritePublish(buffer, subject, replyTo, null, 0, Encoding.ASCII.GetBytes(payload));

        Assert.Equal(length, written);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer));
    }

    [Fact]
    public void Headers_turn_a_publish_into_hpub_with_both_sizes()
    {
        var headers = new MessageHeaders { { "A", "1" } };
        headers.Add("A", "2");
        var headerLength = HeaderWriter.GetEncodedLength(headers);
        var length = ProtocolWriter.GetPublishLength("s", "r", headerLength, 2);
        var buffer = new byte[length];

        ProtocolWriter.WritePublish(buffer, "s", "r", headers, headerLength, "hi"u8);

        Assert.Equal("HPUB s r 24 26\r\nNATS/1.0\r\nA: 1\r\nA: 2\r\n\r\nhi\r\n", Encoding.ASCII.GetString(buffer));
    }

    [Fact]
    public void Subscribe_and_unsubscribe_frames_match_the_protocol()
    {
        Assert.Equal("SUB a.* 12\r\n", Write(ProtocolWriter.GetSubscribeLength("a.*", null, 12), span => ProtocolWriter.WriteSubscribe(span, "a.*", null, 12)));
        Assert.Equal("SUB a q 3\r\n", Write(ProtocolWriter.GetSubscribeLength("a", "q", 3), span => ProtocolWriter.WriteSubscribe(span, "a", "q", 3)));
        Assert.Equal("UNSUB 3\r\n", Write(ProtocolWriter.GetUnsubscribeLength(3, null), span => ProtocolWriter.WriteUnsubscribe(span, 3, null)));
        Assert.Equal("UNSUB 3 100\r\n", Write(ProtocolWriter.GetUnsubscribeLength(3, 100), span => ProtocolWriter.WriteUnsubscribe(span, 3, 100)));
    }

    [Fact]
    public void Connect_carries_the_options_the_client_relies_on()
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();

        ConnectCommand.Write(output, new ConnectCredentials("u", "p", null), "svc", tlsRequired: false);

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.StartsWith("CONNECT {", text, StringComparison.Ordinal);
        Assert.EndsWith("}\r\n", text, StringComparison.Ordinal);
        foreach (var part in new[] { "\"verbose\":false", "\"pedantic\":false", "\"headers\":true", "\"no_responders\":true", "\"user\":\"u\"", "\"pass\":\"p\"", "\"name\":\"svc\"" })
        {
            Assert.Contains(part, text, StringComparison.Ordinal);
        }
    }

    private delegate int Writer(Span<byte> destination);

    private static string Write(int length, Writer write)
    {
        var buffer = new byte[length];
        Assert.Equal(length, write(buffer));
        return Encoding.ASCII.GetString(buffer);
    }
}
