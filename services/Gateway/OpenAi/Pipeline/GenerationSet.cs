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
    private int _running;

    internal GenerationSet(IMessageBus bus, string model, IReadOnlyList<GenerationCall> calls)
    {
        _bus = bus;
        _model = model;
        _calls = calls;
        _running = calls.Count;
    }

    /// <summary>Chunks and errors from every prompt; completes when every prompt has finished or failed.</summary>
    public ChannelReader<GenerationEvent> Events => _events.Reader;

    internal void Start(TimeSpan firstChunkTimeout, DateTimeOffset deadline, TimeProvider time)
    {
        foreach (var call in _calls)
        {
            _pumps.Add(PumpAsync(call, firstChunkTimeout, deadline, time));
        }
    }

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
        await CancelAsync(CancelReason.Unspecified).ConfigureAwait(false);
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

    private async Task PumpAsync(GenerationCall call, TimeSpan firstChunkTimeout, DateTimeOffset deadline, TimeProvider time)
    {
        await Task.Yield();
        bool first = true;
        if (call.IsFinished)
        {
            // Publishing already failed; the error event is queued.
            if (Interlocked.Decrement(ref _running) == 0)
            {
                _events.Writer.TryComplete();
            }
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var untilDeadline = Remaining(deadline, time);
        timeout.CancelAfter(firstChunkTimeout < untilDeadline ? firstChunkTimeout : untilDeadline);
        try
        {
            await foreach (var message in call.Replies.ReadAllAsync(timeout.Token).ConfigureAwait(false))
            {
                if (call.IsFinished)
                {
                    return;
                }
                if (message.Headers is { StatusCode: 503 })
                {
                    // NATS answers a publish with a reply subject and no subscribers with a 503 status message.
                    Fail(call, ErrorCatalog.NoResponders("tokenizer"));
                    return;
                }
                ResponseChunk chunk;
                try
                {
                    chunk = ResponseChunk.Parser.ParseFrom(message.Payload.Span);
                }
                catch (InvalidProtocolBufferException)
                {
                    Fail(call, ErrorCatalog.Internal("The pipeline sent a malformed response chunk."));
                    return;
                }
                if (first)
                {
                    first = false;
                    timeout.CancelAfter(Remaining(deadline, time));
                }
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
            // Deadline passed: stop the work upstream, then tell the client.
            if (!call.IsFinished)
            {
                var cancel = new CancelRequest { Context = call.Request.Context, Reason = CancelReason.Timeout, ChoiceIndex = -1 };
                try
                {
                    await _bus.PublishAsync(Subjects.Cancel(_model), cancel.ToByteArray()).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Best effort, as in CancelAsync.
                }
            }
            Fail(call, ErrorCatalog.Timeout(first
                ? "No response from the model within the first-token timeout."
                : "The request exceeded its timeout."));
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

    private static TimeSpan Remaining(DateTimeOffset deadline, TimeProvider time)
    {
        var left = deadline - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }
}
