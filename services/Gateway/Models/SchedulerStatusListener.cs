using LlmServe.Contracts;
using LlmServe.Gateway.Bus;
using LlmServe.Messaging;
using Microsoft.Extensions.Logging;

namespace LlmServe.Gateway.Models;

/// <summary>Feeds <see cref="ModelCatalog"/> from every scheduler's status subject.</summary>
internal sealed class SchedulerStatusListener(IMessageBus bus, ModelCatalog catalog, ILogger<SchedulerStatusListener> logger)
    : SubjectListener<SchedulerStatus>(bus, Subjects.AllStatus, SchedulerStatus.Parser, logger)
{
    protected override void Apply(SchedulerStatus message) => catalog.Update(message);
}
