using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LlmServe.Scheduler.Service;

public static class SchedulerServiceCollectionExtensions
{
    /// <summary>
    /// Adds one scheduler replica as a hosted service, bound to the "Scheduler" section and validated at start-up.
    /// It takes the <c>IMessageBus</c> from DI (register one first, e.g. <c>AddMessageBus</c>), so the all-in-one
    /// host can run it in-process next to the other services.
    /// </summary>
    public static IServiceCollection AddSchedulerService(this IServiceCollection services, IConfiguration configuration,
        string sectionName = SchedulerOptions.SectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SchedulerOptions>().Bind(configuration.GetSection(sectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SchedulerOptions>, SchedulerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<SchedulerService>();
        return services;
    }
}
