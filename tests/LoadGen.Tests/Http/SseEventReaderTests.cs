using System.Text;
using LlmServe.LoadGen.Http;

namespace LlmServe.LoadGen.Tests.Http;

public sealed class SseEventReaderTests
{
    private static async Task<List<SseEvent>> ReadAsync(string text, int bytesPerRead = 4096)
    {
        var events = new List<SseEvent>();
        await foreach (var e in SseEventReader.ReadAsync(new TrickleStream(Encoding.UTF8.GetBytes(text), bytesPerRead), TestContext.Current.CancellationToken))
        {
            events.Add(e);
        }
        return events;
    }

    [Fact]
    public async Task Events_end_at_blank_lines_and_the_space_after_the_colon_is_optional()
    {
        var events = await ReadAsync("data: {\"a\":1}\n\ndata:{\"b\":2}\n\ndata: [DONE]\n\n");

        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "[DONE]"], events.Select(e => e.Data));
        Assert.True(events[2].IsDone);
        Assert.False(events[0].IsDone);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\r")]
    [InlineData("\n")]
    public async Task Every_line_ending_the_spec_allows_works(string eol)
    {
        var events = await ReadAsync($"data: one{eol}{eol}data: two{eol}{eol}");
        Assert.Equal(["one", "two"], events.Select(e => e.Data));
    }

    [Fact]
    public async Task Comments_and_unknown_fields_are_ignored_and_event_types_are_kept()
    {
        var events = await ReadAsync(": keep-alive\n\nid: 7\nretry: 100\nevent: error\ndata: {\"error\":{}}\n\ndata: x\n\n");

        Assert.Equal(2, events.Count);
        Assert.Equal("error", events[0].Type);
        Assert.Equal("{\"error\":{}}", events[0].Data);
        Assert.Null(events[1].Type);
    }

    [Fact]
    public async Task Several_data_lines_join_with_newlines_and_a_bare_data_line_is_empty()
    {
        var events = await ReadAsync("data: first\ndata:second\ndata\n\n");
        Assert.Equal("first\nsecond\n", Assert.Single(events).Data);
    }

    [Fact]
    public async Task Events_split_across_reads_byte_by_byte_arrive_whole()
    {
        string text = "data: {\"choices\":[{\"text\":\"héllo ✓\"}]}\r\n\r\ndata: [DONE]\r\n\r\n";
        var events = await ReadAsync(text, bytesPerRead: 1);
        Assert.Equal(["{\"choices\":[{\"text\":\"héllo ✓\"}]}", "[DONE]"], events.Select(e => e.Data));
    }

    [Fact]
    public async Task Data_pending_when_the_stream_ends_is_still_delivered_but_blank_events_are_not()
    {
        var events = await ReadAsync("\n\n\ndata: last");
        Assert.Equal("last", Assert.Single(events).Data);
    }

    [Fact]
    public async Task Only_one_leading_space_is_stripped()
    {
        var events = await ReadAsync("data:   two spaces kept\n\n");
        Assert.Equal("  two spaces kept", Assert.Single(events).Data);
    }
}
