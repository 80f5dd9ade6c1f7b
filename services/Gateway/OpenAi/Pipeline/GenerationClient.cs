using LlmServe.Contracts;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Errors;
using LlmServe.Gateway.OpenAi.Requests;
using LlmServe.Messaging;
using Microsoft.Extensions.Options;

namespace LlmServe.Gateway.OpenAi.Pipeline;

/// <summary>
/// Sends a validated generation to the tokenizers: for each prompt, subscribe to a fresh unguessable reply
/// subject first, then send the <see cref="TokenizeRequest"/> with the request's deadline through the
/// <see cref="TokenizeDispatcher"/> (acknowledged and retried).
/// </summary>
public sealed class GenerationClient(IMessageBus bus, TokenizeDispatcher dispatcher, GatewayIdentity identity, IOptions<GatewayOptions> options,
    TimeProvider time)
{
    public Task<GenerationSet> StartAsync(string requestId, GenerationRequest request, CancellationToken cancellationToken) =>
        StartAsync(requestId, request, timing: false, cancellationToken);

    /// <param name="timing">The client asked for a per-hop timing breakdown: every hop stamps this request's messages.</param>
    public async Task<GenerationSet> StartAsync(string requestId, GenerationRequest request, bool timing, CancellationToken cancellationToken)
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
                    Timing = timing,
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

        var set = new GenerationSet(bus, request.ServedModel, calls, cancellationToken);
        set.Start(dispatcher, new StreamTimeouts(settings.FirstTokenTimeout, settings.StreamIdleTimeout, deadline), time);
        return set;
    }
}
