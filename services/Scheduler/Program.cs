using LlmServe.Hosting;
using LlmServe.Messaging.Hosting;
using LlmServe.Scheduler.Service;
using Microsoft.Extensions.Hosting;

HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddMessageBus(builder.Configuration);
builder.Services.AddSchedulerService(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
