using System.Text.Json;
using LlmServe.Contracts;
using LlmServe.Gateway.OpenAi.Requests;

namespace LlmServe.Gateway.OpenAi.Responses;

/// <summary>chat.completion / chat.completion.chunk shapes.</summary>
internal sealed class ChatResponseFormat(GenerationRequest request, string id, long created)
    : ResponseFormat(request, id, created)
{
    protected override ReadOnlySpan<byte> ChunkObject => "chat.completion.chunk"u8;

    protected override ReadOnlySpan<byte> ResponseObject => "chat.completion"u8;

    public override void WriteStreamChoice(SseWriter sse, int index, ChoiceText choice, ChoiceState state)
    {
        Utf8JsonWriter w;
        if (!state.Started)
        {
            state.Started = true;
            w = BeginChunk(sse, index);
            w.WriteStartObject("delta"u8);
            w.WriteString("role"u8, "assistant");
            w.WriteString("content"u8, "");
            w.WriteEndObject();
            w.WriteNull("logprobs"u8);
            w.WriteNull("finish_reason"u8);
            EndChunk(sse, w);
        }
        if (choice.Text.Length > 0 || (Request.Logprobs && choice.Logprobs.Count > 0))
        {
            w = BeginChunk(sse, index);
            w.WriteStartObject("delta"u8);
            w.WriteString("content"u8, choice.Text);
            w.WriteEndObject();
            if (Request.Logprobs && choice.Logprobs.Count > 0)
            {
                w.WritePropertyName("logprobs"u8);
                LogprobsJson.WriteChat(w, new LogprobEntries(choice), Request.TopLogprobs);
            }
            else
            {
                w.WriteNull("logprobs"u8);
            }
            w.WriteNull("finish_reason"u8);
            EndChunk(sse, w);
        }
        if (choice.FinishReason != FinishReason.None)
        {
            w = BeginChunk(sse, index);
            w.WriteStartObject("delta"u8);
            w.WriteEndObject();
            w.WriteNull("logprobs"u8);
            WriteFinish(w, choice.FinishReason, choice.Stop);
            EndChunk(sse, w);
        }
    }

    protected override void WriteChoice(Utf8JsonWriter w, int index, ChoiceState state)
    {
        w.WriteStartObject("message"u8);
        w.WriteString("role"u8, "assistant");
        w.WriteString("content"u8, state.Text.ToString());
        w.WriteEndObject();
        if (Request.Logprobs)
        {
            w.WritePropertyName("logprobs"u8);
            LogprobsJson.WriteChat(w, new LogprobEntries(state.Logprobs), Request.TopLogprobs);
        }
        else
        {
            w.WriteNull("logprobs"u8);
        }
    }
}
