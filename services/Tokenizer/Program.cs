using LlmServe.Hosting;
using LlmServe.Messaging.Hosting;
using LlmServe.Tokenizer;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddMessageBus(builder.Configuration);
builder.Services.AddTokenizerService(builder.Configuration);
await builder.Build().RunAsync();
