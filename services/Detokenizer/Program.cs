using LlmServe.Detokenizer;
using LlmServe.Hosting;
using LlmServe.Messaging.Hosting;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddMessageBus(builder.Configuration);
builder.Services.AddDetokenizerService(builder.Configuration);
await builder.Build().RunAsync();
