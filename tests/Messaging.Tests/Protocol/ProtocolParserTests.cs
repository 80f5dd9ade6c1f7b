using System.Buffers;
using System.Text;
using LlmServe.Messaging.Protocol;

namespace LlmServe.Messaging.Tests.Protocol;

public sealed class ProtocolParserTests
{
    [Fact]
    public void Parses_every_server_operation()
    {
        var ops = ParseAll(Encoding.ASCII.GetBytes(
            "INFO {\"server_id\":\"x\",\"max_payload\":2048}\r\n" +
            "MSG a.b 7 5\r\nhello\r\n" +
            "MSG a.b 7 reply.to 2\r\nhi\r\n" +
            "HMSG a.c 8 12 15\r\nNATS/1.0\r\n\r\nabc\r\n" +
            "PING\r\nPONG\r\n+OK\r\n-ERR 'Authorization Violation'\r\nmsg lower 9 0\r\n\r\n"));

        Assert.Equal(
        [
            "Info||0||||{\"server_id\":\"x\",\"max_payload\":2048}",
            "Msg|a.b|7|||hello|",
            "Msg|a.b|7|reply.to||hi|",
            "HMsg|a.c|8||NATS/1.0\r\n\r\n|abc|",
            "Ping||0||||",
            "Pong||0||||",
            "Ok||0||||",
            "Err||0||||Authorization Violation",
            "Msg|lower|9||||",
        ], ops);
    }

    [Fact]
    public void Incomplete_input_consumes_nothing_until_the_rest_arrives()
    {
        var parser = new ProtocolParser();
        var partial = new ReadOnlySequence<byte>("MSG a 1 10\r\nhello"u8.ToArray());

        Assert.False(parser.TryParse(ref partial, out _));
        Assert.Equal(17, partial.Length);
    }

    [Fact]
    public void Random_splits_of_a_valid_stream_parse_identically()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            var stream = ValidStream(random, operations: 40);
            var expected = ParseAll(stream);

            var cuts = Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(stream.Length)).ToList();
            Assert.Equal(expected, ParseAll(SegmentedSequence.Create(stream, cuts)));
            Assert.Equal(expected, ParseIncrementally(stream, random));
        }
    }

    [Theory]
    [InlineData("FOO bar\r\n")]
    [InlineData("PING\n")]
    [InlineData("MSG a b 5\r\nhello\r\n")]
    [InlineData("MSG a 1 -5\r\nhello\r\n")]
    [InlineData("MSG a 1 5\r\nhelloXX")]
    [InlineData("MSG a 1\r\n")]
    [InlineData("MSG a 1 r x 5\r\nhello\r\n")]
    [InlineData("HMSG a 1 10 5\r\nhello\r\n")]
    [InlineData("MSG a 1 99999999999\r\n")]
    [InlineData("INFO not-json\r\n")]
    [InlineData("\r\n")]
    public void Malformed_input_is_a_protocol_error(string input)
    {
        var parser = new ProtocolParser();
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(input));

        Assert.Throws<BusProtocolException>(() =>
        {
            while (parser.TryParse(ref buffer, out _))
            {
            }
        });
    }

    [Fact]
    public void A_control_line_longer_than_the_limit_is_a_protocol_error_not_an_endless_wait()
    {
        var parser = new ProtocolParser();
        var buffer = new ReadOnlySequence<byte>(Enumerable.Repeat((byte)'A', ProtocolParser.MaxControlLineLength + 1).ToArray());

        Assert.Throws<BusProtocolException>(() => parser.TryParse(ref buffer, out _));
    }

    [Fact]
    public void Random_garbage_and_mutated_streams_either_parse_or_raise_a_protocol_error()
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            byte[] input;
            if (seed % 2 == 0)
            {
                input = new byte[random.Next(1, 300)];
                random.NextBytes(input);
            }
            else
            {
                input = ValidStream(random, operations: 10);
                for (var flips = random.Next(1, 6); flips > 0; flips--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
            }

            var parser = new ProtocolParser();
            var buffer = SegmentedSequence.Create(input, [random.Next(input.Length)]);
            var steps = 0;
            try
            {
                while (parser.TryParse(ref buffer, out _))
                {
                    Assert.True(++steps <= input.Length, "The parser must consume input on every successful step.");
                }
            }
            catch (BusProtocolException)
            {
                // The expected outcome for garbage; anything else (IndexOutOfRange, Json...) fails the test.
            }
        }
    }

    private static byte[] ValidStream(Random random, int operations)
    {
        var output = new List<byte>();
        for (var i = 0; i < operations; i++)
        {
            var payload = new byte[random.Next(0, 64)];
            random.NextBytes(payload);
            var subject = $"s{random.Next(100)}.t{random.Next(10)}";
            var reply = random.Next(3) == 0 ? $" _INBOX.x.{random.Next(1000)}" : string.Empty;
            switch (random.Next(7))
            {
                case 0:
                    output.AddRange(Encoding.ASCII.GetBytes($"MSG {subject} {random.Next(1, 50)}{reply} {payload.Length}\r\n"));
                    output.AddRange(payload);
                    output.AddRange("\r\n"u8.ToArray());
                    break;
                case 1:
                    var headers = Encoding.ASCII.GetBytes($"NATS/1.0\r\nK{random.Next(9)}: v{random.Next(99)}\r\n\r\n");
                    output.AddRange(Encoding.ASCII.GetBytes(
                        $"HMSG {subject} {random.Next(1, 50)}{reply} {headers.Length} {headers.Length + payload.Length}\r\n"));
                    output.AddRange(headers);
                    output.AddRange(payload);
                    output.AddRange("\r\n"u8.ToArray());
                    break;
                case 2:
                    output.AddRange("PING\r\n"u8.ToArray());
                    break;
                case 3:
                    output.AddRange("PONG\r\n"u8.ToArray());
                    break;
                case 4:
                    output.AddRange(Encoding.ASCII.GetBytes($"INFO {{\"server_id\":\"n{random.Next(99)}\",\"max_payload\":{random.Next(1, 99999)}}}\r\n"));
                    break;
                case 5:
                    output.AddRange(Encoding.ASCII.GetBytes($"-ERR 'Something {random.Next(99)}'\r\n"));
                    break;
                default:
                    output.AddRange("+OK\r\n"u8.ToArray());
                    break;
            }
        }

        return [.. output];
    }

    private static List<string> ParseAll(byte[] stream) => ParseAll(new ReadOnlySequence<byte>(stream));

    private static List<string> ParseAll(ReadOnlySequence<byte> buffer)
    {
        var parser = new ProtocolParser();
        var result = new List<string>();
        while (parser.TryParse(ref buffer, out var op))
        {
            result.Add(Describe(op));
        }

        Assert.Equal(0, buffer.Length);
        return result;
    }

    /// <summary>Feeds the stream in random-sized reads the way the reader loop does: parse what is whole, keep the rest.</summary>
    private static List<string> ParseIncrementally(byte[] stream, Random random)
    {
        var parser = new ProtocolParser();
        var result = new List<string>();
        var pending = new List<byte>();
        var position = 0;
        while (position < stream.Length)
        {
            var take = Math.Min(stream.Length - position, random.Next(1, 40));
            pending.AddRange(stream.AsSpan(position, take).ToArray());
            position += take;
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            while (parser.TryParse(ref buffer, out var op))
            {
                result.Add(Describe(op));
            }

            pending = [.. buffer.ToArray()];
        }

        Assert.Empty(pending);
        return result;
    }

    private static string Describe(ServerOp op) => string.Join('|',
        op.Kind,
        Encoding.ASCII.GetString(op.Subject),
        op.Sid,
        Encoding.ASCII.GetString(op.ReplyTo),
        Encoding.Latin1.GetString(op.Headers.ToArray()),
        Encoding.Latin1.GetString(op.Payload.ToArray()),
        Encoding.ASCII.GetString(op.Text));
}
