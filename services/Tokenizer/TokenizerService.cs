using LlmServe.Contracts;
using LlmServe.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Tokenizer;

/// <summary>
/// One tokenizer replica: a member of the model's tokenizer queue group, so replicas share the load.
/// Requests are handled concurrently up to <see cref="TokenizerServiceOptions.MaxConcurrency"/>.
/// </summary>
internal sealed partial class TokenizerService(
    IMessageBus bus,
    IOptions<TokenizerServiceOptions> options,
    ModelTokenizer model,
    ILogger<TokenizerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var handler = new TokenizeRequestHandler(new PromptEncoder(model), bus, settings.Model, logger);
        await using var tokenize = await bus.SubscribeAsync(Subjects.Tokenize(settings.Model), Subjects.TokenizerQueue, cancellationToken: stoppingToken);
        await using var detokenize = await bus.SubscribeAsync(Subjects.Detokenize(settings.Model), Subjects.TokenizerQueue, cancellationToken: stoppingToken);
        await using var noScheduler = await bus.SubscribeAsync(handler.NoRespondersSubject + ".>", cancellationToken: stoppingToken);
        LogReady(logger, settings.Model, model.MaxModelLen, model.Tokenizer.VocabSize, model.ChatTemplate is not null);

        using var slots = new SemaphoreSlim(settings.MaxConcurrency);
        var pumps = new[]
        {
            PumpAsync(tokenize, handler.HandleTokenizeAsync, slots, stoppingToken),
            PumpAsync(detokenize, handler.HandleDetokenizeAsync, slots, stoppingToken),
            PumpAsync(noScheduler, handler.HandleNoSchedulerAsync, slots, stoppingToken),
        };
        await Task.WhenAll(pumps);
        // Let handlers still running finish before the subscriptions go away.
        for (int i = 0; i < settings.MaxConcurrency; i++)
        {
            await slots.WaitAsync(CancellationToken.None);
        }
    }

    private async Task PumpAsync(IBusSubscription subscription, Func<BusMessage, CancellationToken, ValueTask> handle,
        SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var message in subscription.ReadAllAsync(stoppingToken))
            {
                await slots.WaitAsync(stoppingToken);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await handle(message, stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogHandlerFailed(logger, e, message.Subject);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tokenizer ready for model {Model}: max_model_len {MaxModelLen}, vocab {Vocab}, chat template: {HasTemplate}")]
    private static partial void LogReady(ILogger logger, string model, int maxModelLen, int vocab, bool hasTemplate);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a message on {Subject} failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string subject);
}
