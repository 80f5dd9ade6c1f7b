using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmServe.Messaging.Hosting;

public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="IMessageBus"/> bound to the "Messaging" section: a <see cref="NatsBus"/>
    /// when <see cref="MessagingOptions.Url"/> is set (connected when the host starts, drained when it stops),
    /// otherwise an <see cref="InProcessBus"/>. Options are validated at start-up.
    /// </summary>
    public static IServiceCollection AddMessageBus(this IServiceCollection services, IConfiguration configuration,
        string sectionName = MessagingOptions.SectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<MessagingOptions>().Bind(configuration.GetSection(sectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MessagingOptions>, MessagingOptionsValidator>();
        services.AddSingleton<IMessageBus>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<MessagingOptions>>().Value;
            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger("LlmServe.Messaging");
            return options.UsesNats
                ? new NatsBus(options.ToNatsBusOptions(), logger)
                : new InProcessBus(options.ToInProcessBusOptions(), logger);
        });
        services.AddHostedService<MessageBusHostedService>();
        return services;
    }
}
