using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Errors;
using LlmServe.Gateway.OpenAi.Requests;
using LlmServe.Messaging;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.OpenAi.Pipeline;

/// <summary>
/// Sends a validated generation to the tokenizers: for each prompt, subscribe to a fresh unguessable reply
/// subject first, then publish the <see cref="TokenizeRequest"/> with the request's deadline.
/// </summary>
public sealed class GenerationClient(IMessageBus bus, GatewayIdentity identity, IOptions<GatewayOptions> options, TimeProvider time)
{
    public async Task<GenerationSet> StartAsync(string requestId, GenerationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        var now = time.GetUtcNow();
        var deadline = now + settings.RequestTimeout;
        var calls = new List<GenerationCall>(request.Inputs.Count);
        try
        {
            for (int i = 0; i < request.Inputs.Count; i++)
            {
                var message = request.Inputs[i].Clone();
                message.Context = new RequestContext
                {
                    RequestId = request.Inputs.Count == 1 ? requestId : $"{requestId}-{i}",
                    TraceId = System.Diagnostics.Activity.Current?.TraceId.ToHexString() ?? "",
                    DeadlineUnixMs = deadline.ToUnixTimeMilliseconds(),
                };
                message.ReplySubject = Subjects.NewReplySubject(identity.Id);
                // Subscribe before publishing so not even the first chunk can be missed.
                var replies = await bus.SubscribeAsync(message.ReplySubject, cancellationToken: cancellationToken).ConfigureAwait(false);
                calls.Add(new GenerationCall(i, message, replies));
            }
        }
        catch
        {
            foreach (var call in calls)
            {
                await call.Replies.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }

        var set = new GenerationSet(bus, request.ServedModel, calls);
        string subject = Subjects.Tokenize(request.ServedModel);
        foreach (var call in calls)
        {
            try
            {
                await bus.PublishAsync(subject, call.Request.ToByteArray(), call.Request.ReplySubject,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (NoRespondersException)
            {
                set.Fail(call, ErrorCatalog.NoResponders("tokenizer"));
            }
            catch (PayloadTooLargeException ex)
            {
                set.Fail(call, ErrorCatalog.FromCode(ErrorCode.TooLarge,
                    $"The request is {ex.Size} bytes on the bus, more than its limit of {ex.MaxPayload}."));
            }
        }
        set.Start(settings.FirstTokenTimeout, deadline, time);
        return set;
    }
}
