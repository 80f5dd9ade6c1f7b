using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.OpenAi.Requests;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>text_completion shapes (streamed and whole).</summary>
internal sealed class CompletionResponseFormat(GenerationRequest request, string id, long created)
    : ResponseFormat(request, id, created)
{
    protected override ReadOnlySpan<byte> ChunkObject => "text_completion"u8;

    protected override ReadOnlySpan<byte> ResponseObject => "text_completion"u8;

    public override void WriteStreamChoice(SseWriter sse, int index, ChoiceText choice, ChoiceState state)
    {
        bool hasLogprobs = Request.Logprobs && choice.Logprobs.Count > 0;
        if (choice.Text.Length == 0 && !hasLogprobs && choice.FinishReason == FinishReason.None)
        {
            return;
        }
        var w = BeginChunk(sse, index);
        w.WriteString("text"u8, choice.Text);
        if (hasLogprobs)
        {
            w.WritePropertyName("logprobs"u8);
            int offset = state.TextOffset;
            LogprobsJson.WriteCompletion(w, new LogprobEntries(choice), Request.TopLogprobs, ref offset);
            state.TextOffset = offset;
        }
        else
        {
            w.WriteNull("logprobs"u8);
        }
        WriteFinish(w, choice.FinishReason, choice.Stop);
        EndChunk(sse, w);
    }

    protected override void WriteChoice(Utf8JsonWriter w, int index, ChoiceState state)
    {
        w.WriteString("text"u8, state.Text.ToString());
        if (Request.Logprobs)
        {
            w.WritePropertyName("logprobs"u8);
            int offset = 0;
            LogprobsJson.WriteCompletion(w, new LogprobEntries(state.Logprobs), Request.TopLogprobs, ref offset);
        }
        else
        {
            w.WriteNull("logprobs"u8);
        }
    }
}
