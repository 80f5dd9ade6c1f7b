using LlmServe.Gateway;
using LlmServe.Hosting;
using LlmServe.Messaging.Hosting;

// The gateway alone: NATS when Messaging:Url is set (in-process bus otherwise), OpenAI API on Kestrel.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddMessageBus(builder.Configuration);
builder.Services.AddGateway(builder.Configuration);

var app = builder.Build();
app.MapGateway();
app.Run();
