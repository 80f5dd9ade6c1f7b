using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlmServe.Worker;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>Adds one pipeline stage bound to the "Worker" section. Needs an <c>IMessageBus</c> in DI.</summary>
    public static IServiceCollection AddWorkerService(this IServiceCollection services, IConfiguration configuration,
        string sectionName = WorkerOptions.SectionName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<WorkerOptions>()
            .Bind(configuration.GetSection(sectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHostedService<WorkerService>();
        return services;
    }
}
