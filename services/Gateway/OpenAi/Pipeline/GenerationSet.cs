using System.Threading.Channels;
using Google.Protobuf;
using LlmServe.Contracts;
using LlmServe.Gateway.Errors;
using LlmServe.Messaging;

namespace LlmServe.Gateway.OpenAi.Pipeline;

/// <summary>
/// The bus side of one HTTP generation: one <see cref="GenerationCall"/> per prompt, each read by a pump that
/// enforces the first-chunk and whole-request deadlines, merged into one ordered-per-prompt event stream.
/// Every way out (done, error, timeout, client gone, dispose) leaves no generation running upstream: calls
/// that have not finished get a <see cref="CancelRequest"/>.
/// </summary>
public sealed class GenerationSet : IAsyncDisposable
{
    private readonly IMessageBus _bus;
    private readonly string _model;
    private readonly IReadOnlyList<GenerationCall> _calls;
    private readonly Channel<GenerationEvent> _events = Channel.CreateUnbounded<GenerationEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly CancellationToken _clientGone;
    private int _running;

    /// <param name="clientGone">Fires when the HTTP client goes away: a dispose after that cancels with <see cref="CancelReason.ClientGone"/>.</param>
    internal GenerationSet(IMessageBus bus, string model, IReadOnlyList<GenerationCall> calls, CancellationToken clientGone = default)
    {
        _bus = bus;
        _model = model;
        _calls = calls;
        _running = calls.Count;
        _clientGone = clientGone;
    }

    /// <summary>Chunks and errors from every prompt; completes when every prompt has finished or failed.</summary>
    public ChannelReader<GenerationEvent> Events => _events.Reader;

    internal void Start(TokenizeDispatcher dispatcher, StreamTimeouts timeouts, TimeProvider time)
    {
        foreach (var call in _calls)
        {
            _pumps.Add(PumpAsync(call, dispatcher, timeouts, time));
        }
    }

    /// <summary>Per prompt: when its TokenizeRequest was first published (Unix µs), for timed requests; 0 otherwise.</summary>
    internal IReadOnlyList<long> TokenizePublishedUs() => [.. _calls.Select(c => c.TokenizePublishedUs)];

    /// <summary>Publishes a cancel for every call that has not finished. Never throws; safe to call repeatedly.</summary>
    public async Task CancelAsync(CancelReason reason)
    {
        foreach (var call in _calls)
        {
            if (!call.TryFinish())
            {
                continue;
            }
            var cancel = new CancelRequest { Context = call.Request.Context, Reason = reason, ChoiceIndex = -1 };
            try
            {
                await _bus.PublishAsync(Subjects.Cancel(_model), cancel.ToByteArray()).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The bus is down; schedulers drop the request at its deadline anyway.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The handler can leave (its read cancelled by the disconnect) before the abort callback publishes its cancel:
        // the reason must not depend on which of the two runs first.
        await CancelAsync(_clientGone.IsCancellationRequested ? CancelReason.ClientGone : CancelReason.Unspecified).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_pumps).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Pumps end by cancellation.
        }
        foreach (var call in _calls)
        {
            await call.Replies.DisposeAsync().ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    internal void Fail(GenerationCall call, ApiError error)
    {
        call.TryFinish();
        _events.Writer.TryWrite(new GenerationEvent(call.PromptIndex, null, error));
    }

    private async Task PumpAsync(GenerationCall call, TokenizeDispatcher dispatcher, StreamTimeouts timeouts, TimeProvider time)
    {
        await Task.Yield();
        bool first = true;
        bool idle = false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        try
        {
            // The first-chunk clock starts with the send: a tokenizer that never acknowledges is retried within it.
            timeout.CancelAfter(Min(timeouts.FirstChunk, Remaining(timeouts.Deadline, time)));
            bool timed = call.Request.Context.Timing;
            if (timed)
            {
                call.TokenizePublishedUs = UnixMicros.Now(time);
            }
            if (await dispatcher.SendAsync(call.Request, timeout.Token).ConfigureAwait(false) is { } sendError)
            {
                Fail(call, sendError);
                return;
            }
            await foreach (var message in call.Replies.ReadAllAsync(timeout.Token).ConfigureAwait(false))
            {
                long receivedUs = timed ? UnixMicros.Now(time) : 0;
                if (call.IsFinished)
                {
                    return;
                }
                if (message.Headers is { StatusCode: 503 })
                {
                    // A NATS "no responders" status that reached the reply subject: nobody took the request.
                    Fail(call, ErrorCatalog.NoResponders("tokenizer"));
                    return;
                }
                ResponseChunk chunk;
                try
                {
                    chunk = ResponseChunk.Parser.ParseFrom(message.Payload.Span);
                }
                catch (Exception e) when (MalformedPayload.Is(e))
                {
                    Fail(call, ErrorCatalog.Internal("The pipeline sent a malformed response chunk."));
                    return;
                }
                first = false;
                if (chunk.StepTiming is { } step)
                {
                    step.GatewayReceivedUs = receivedUs;
                }
                var left = Remaining(timeouts.Deadline, time);
                idle = timeouts.Idle < left;
                timeout.CancelAfter(idle ? timeouts.Idle : left);
                if (chunk.Error is { } error)
                {
                    Fail(call, ErrorCatalog.FromBus(error));
                    return;
                }
                if (chunk.Done)
                {
                    call.TryFinish();
                }
                _events.Writer.TryWrite(new GenerationEvent(call.PromptIndex, chunk, null));
                if (chunk.Done)
                {
                    return;
                }
            }
            if (!_stop.IsCancellationRequested)
            {
                Fail(call, ErrorCatalog.Internal("The response stream ended before the request finished."));
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            // Deadline passed or the stream went quiet: stop the work upstream, then tell the client.
            if (!call.IsFinished)
            {
                await PublishCancelAsync(call, CancelReason.Timeout).ConfigureAwait(false);
            }
            Fail(call, first
                ? ErrorCatalog.Timeout("No response from the model within the first-token timeout.")
                : idle
                    ? ErrorCatalog.FromCode(ErrorCode.WorkerFailed,
                        $"The response stream stalled for {timeouts.Idle.TotalSeconds:F0} s (a pipeline service failed); retry the request.")
                    : ErrorCatalog.Timeout("The request exceeded its timeout."));
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
        finally
        {
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _events.Writer.TryComplete();
            }
        }
    }

    private async Task PublishCancelAsync(GenerationCall call, CancelReason reason)
    {
        var cancel = new CancelRequest { Context = call.Request.Context, Reason = reason, ChoiceIndex = -1 };
        try
        {
            await _bus.PublishAsync(Subjects.Cancel(_model), cancel.ToByteArray()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Best effort, as in CancelAsync: schedulers drop the request at its deadline anyway.
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Remaining(DateTimeOffset deadline, TimeProvider time)
    {
        var left = deadline - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }
}
