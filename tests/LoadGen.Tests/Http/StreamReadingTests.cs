using System.Diagnostics;
using System.Text;
using LlmServe.LoadGen.Http;
using LlmServe.LoadGen.Running;

namespace LlmServe.LoadGen.Tests.Http;

/// <summary>How a recorded OpenAI stream becomes token counts, timings and errors.</summary>
public sealed class StreamReadingTests
{
    private static async Task<RequestOutcome> ReadAsync(string sse)
    {
        var outcome = new RequestOutcome { InputTokens = 3 };
        await StreamingRequestSender.ReadStreamAsync(new MemoryStream(Encoding.UTF8.GetBytes(sse)), Stopwatch.GetTimestamp(), outcome,
            TestContext.Current.CancellationToken);
        return outcome;
    }

    private static string Chunk(string text) => $"data: {{\"choices\":[{{\"index\":0,\"text\":\"{text}\",\"finish_reason\":null}}]}}\n\n";

    [Fact]
    public async Task Usage_from_the_final_chunk_wins_over_the_chunk_count()
    {
        var outcome = await ReadAsync(Chunk("a") + Chunk("") + Chunk("b") +
            "data: {\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"}]}\n\n" +
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":17,\"completion_tokens\":4,\"total_tokens\":21}}\n\ndata: [DONE]\n\n");

        Assert.True(outcome.Success, outcome.Error);
        Assert.Equal(4, outcome.OutputTokens);
        Assert.True(outcome.OutputFromUsage);
        Assert.Equal(17, outcome.InputTokens);
        Assert.Equal("length", outcome.FinishReason);
        // Two text chunks: one TTFT, one inter-token gap; the empty chunk is not a token boundary.
        Assert.Single(outcome.Itl);
        Assert.True(outcome.Latency >= outcome.Ttft);
    }

    [Fact]
    public async Task Without_usage_output_tokens_are_the_text_chunks()
    {
        var outcome = await ReadAsync(Chunk("a") + Chunk("b") + Chunk("c") + "data: [DONE]\n\n");

        Assert.True(outcome.Success);
        Assert.Equal(3, outcome.OutputTokens);
        Assert.False(outcome.OutputFromUsage);
        Assert.Equal(3, outcome.InputTokens);
        Assert.Equal(2, outcome.Itl.Count);
    }

    [Fact]
    public async Task Chat_deltas_count_content_and_ignore_the_role_only_first_chunk()
    {
        var outcome = await ReadAsync(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n" +
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n" +
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");

        Assert.True(outcome.Success);
        Assert.Equal(2, outcome.OutputTokens);
        Assert.Single(outcome.Itl);
        Assert.Equal("stop", outcome.FinishReason);
    }

    [Fact]
    public async Task An_error_event_in_the_stream_fails_the_request_with_its_message()
    {
        var outcome = await ReadAsync(Chunk("a") + "data: {\"error\":{\"message\":\"worker lost\",\"type\":\"server_error\"}}\n\n");

        Assert.False(outcome.Success);
        Assert.Contains("worker lost", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_with_nothing_in_it_is_a_failure()
    {
        var outcome = await ReadAsync("data: [DONE]\n\n");
        Assert.False(outcome.Success);
        Assert.NotNull(outcome.Error);
    }

    [Fact]
    public async Task Tpot_follows_vllm_and_is_zero_for_a_single_token()
    {
        Assert.Equal(0, new RequestOutcome { OutputTokens = 1, Ttft = 0.1, Latency = 0.3 }.Tpot);
        Assert.Equal(0.05, new RequestOutcome { OutputTokens = 5, Ttft = 0.1, Latency = 0.3 }.Tpot, 12);
        var outcome = await ReadAsync(Chunk("x") + "data: [DONE]\n\n");
        Assert.Equal(1, outcome.OutputTokens);
        Assert.Equal(0, outcome.Tpot);
    }
}
