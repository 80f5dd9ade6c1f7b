using System.Text.Json;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Errors;
using LlmServe.Gateway.Limits;
using LlmServe.Gateway.Models;
using LlmServe.Gateway.OpenAi.Requests;
using LlmServe.Messaging;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.Tokenization;

/// <summary>
/// vLLM's POST /tokenize and POST /detokenize, answered by the model's tokenizers through request/reply
/// (<see cref="RequestKind.TokenizeOnly"/> on the tokenize subject; <see cref="DetokenizeRequest"/> on the
/// detokenize subject). The tokenizer replies to the bus message's reply-to inbox.
/// </summary>
public sealed class TokenizationHandler(IMessageBus bus, ModelCatalog catalog, IOptions<GatewayOptions> options, TimeProvider time)
{
    public async Task TokenizeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        TokenizeRequest request;
        using (var body = await JsonRequestBody.ReadAsync(context, settings.MaxRequestBodyBytes).ConfigureAwait(false))
        {
            var p = new ParameterReader(body.Root);
            var (_, served) = ModelParameter.Resolve(p, catalog);
            request = new TokenizeRequest { Model = served, Kind = RequestKind.TokenizeOnly, Context = NewContext() };
            if (p.Has("messages"))
            {
                request.Chat = ChatInputParser.Parse(p);
                request.AddGenerationPrompt = p.Bool("add_generation_prompt", true) && !request.Chat.ContinueFinalMessage;
                request.AddSpecialTokens = p.Bool("add_special_tokens", false);
            }
            else if (p.Get("prompt") is { } prompt)
            {
                request.Prompt = ParameterReader.AsString(prompt, "prompt");
                request.AddSpecialTokens = p.Bool("add_special_tokens", true);
            }
            else
            {
                throw ParameterReader.Invalid("Send either 'prompt' or 'messages'.", "prompt");
            }
        }

        var reply = await RequestAsync(Subjects.Tokenize(request.Model), request, context.RequestAborted).ConfigureAwait(false);
        var result = Parse(TokenizeResult.Parser, reply);
        if (result.Error is { } error)
        {
            throw new ApiException(ErrorCatalog.FromBus(error));
        }
        context.Response.ContentType = "application/json";
        using var w = new Utf8JsonWriter(context.Response.BodyWriter, OpenAi.Responses.JsonOutput.Options);
        w.WriteStartObject();
        w.WriteNumber("count"u8, result.Tokens.Count);
        w.WriteNumber("max_model_len"u8, result.MaxModelLen);
        w.WriteStartArray("tokens"u8);
        foreach (int token in result.Tokens)
        {
            w.WriteNumberValue(token);
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public async Task DetokenizeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        DetokenizeRequest request;
        using (var body = await JsonRequestBody.ReadAsync(context, settings.MaxRequestBodyBytes).ConfigureAwait(false))
        {
            var p = new ParameterReader(body.Root);
            var (_, served) = ModelParameter.Resolve(p, catalog);
            request = new DetokenizeRequest { Model = served, Context = NewContext() };
            if (p.Get("tokens") is not { ValueKind: JsonValueKind.Array } tokens)
            {
                throw ParameterReader.Invalid("'tokens' must be a list of token ids.", "tokens");
            }
            foreach (var token in tokens.EnumerateArray())
            {
                request.Tokens.Add(CommonParameters.TokenId(token, "tokens"));
            }
        }

        var reply = await RequestAsync(Subjects.Detokenize(request.Model), request, context.RequestAborted).ConfigureAwait(false);
        var result = Parse(DetokenizeResult.Parser, reply);
        if (result.Error is { } error)
        {
            throw new ApiException(ErrorCatalog.FromBus(error));
        }
        context.Response.ContentType = "application/json";
        using var w = new Utf8JsonWriter(context.Response.BodyWriter, OpenAi.Responses.JsonOutput.Options);
        w.WriteStartObject();
        w.WriteString("prompt"u8, result.Text);
        w.WriteEndObject();
    }

    private RequestContext NewContext() => new()
    {
        RequestId = "tok-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)),
        DeadlineUnixMs = (time.GetUtcNow() + options.Value.ControlRequestTimeout).ToUnixTimeMilliseconds(),
    };

    private async Task<BusMessage> RequestAsync(string subject, IMessage message, CancellationToken cancellationToken)
    {
        try
        {
            return await bus.RequestAsync(subject, message.ToByteArray(), options.Value.ControlRequestTimeout,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NoRespondersException)
        {
            throw new ApiException(ErrorCatalog.NoResponders("tokenizer"));
        }
        catch (TimeoutException)
        {
            throw new ApiException(ErrorCatalog.Timeout("The tokenizer did not answer in time."));
        }
        catch (PayloadTooLargeException ex)
        {
            throw new ApiException(ErrorCatalog.FromCode(ErrorCode.TooLarge, $"The request is larger than the bus limit of {ex.MaxPayload} bytes."));
        }
    }

    private static T Parse<T>(MessageParser<T> parser, BusMessage reply)
        where T : IMessage<T>
    {
        if (reply.Headers is { StatusCode: 503 })
        {
            throw new ApiException(ErrorCatalog.NoResponders("tokenizer"));
        }
        try
        {
            return parser.ParseFrom(reply.Payload.Span);
        }
        catch (Exception e) when (MalformedPayload.Is(e))
        {
            throw new ApiException(ErrorCatalog.Internal("The tokenizer sent a malformed reply."));
        }
    }
}
