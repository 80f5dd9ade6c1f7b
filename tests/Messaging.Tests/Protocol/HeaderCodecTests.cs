using System.Text;
using LlmServe.Messaging.Protocol;

namespace LlmServe.Messaging.Tests.Protocol;

public sealed class HeaderCodecTests
{
    [Fact]
    public void Headers_survive_a_write_and_parse_round_trip()
    {
        var headers = new MessageHeaders { { "Content-Type", "application/x-protobuf" }, { "Empty", "" } };
        headers.Add("Multi", "one");
        headers.Add("Multi", "two words");
        var buffer = new byte[HeaderWriter.GetEncodedLength(headers)];

        HeaderWriter.Write(buffer, headers);
        var parsed = HeaderParser.Parse(buffer);

        Assert.Equal(headers.Keys.Order(), parsed.Keys.Order());
        Assert.All(headers, pair => Assert.Equal(pair.Value, parsed[pair.Key]));
    }

    [Fact]
    public void Status_line_is_parsed_into_code_and_description()
    {
        var parsed = HeaderParser.Parse("NATS/1.0 503 No Responders\r\n\r\n"u8);

        Assert.Equal(503, parsed.StatusCode);
        Assert.Equal("No Responders", parsed.StatusDescription);
        Assert.Empty(parsed);
    }

    [Fact]
    public void Status_code_is_written_when_set()
    {
        var headers = new MessageHeaders { StatusCode = 503 };
        var buffer = new byte[HeaderWriter.GetEncodedLength(headers)];

        HeaderWriter.Write(buffer, headers);

        Assert.Equal("NATS/1.0 503\r\n\r\n", Encoding.ASCII.GetString(buffer));
    }

    [Theory]
    [InlineData("HTTP/1.1\r\n\r\n")]
    [InlineData("NATS/1.0 abc\r\n\r\n")]
    [InlineData("NATS/1.0\r\nno-colon\r\n\r\n")]
    [InlineData("NATS/1.0\r\nK: v\r\n")]
    public void Malformed_header_blocks_are_protocol_errors(string block) =>
        Assert.Throws<BusProtocolException>(() => HeaderParser.Parse(Encoding.ASCII.GetBytes(block)));

    [Theory]
    [InlineData("bad key", "v")]
    [InlineData("key:", "v")]
    [InlineData("key", "line\r\nbreak")]
    public void Header_names_and_values_that_would_break_framing_are_rejected(string key, string value) =>
        Assert.Throws<ArgumentException>(() => HeaderWriter.GetEncodedLength(new MessageHeaders { { key, value } }));
}
