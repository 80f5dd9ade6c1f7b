using LlmServe.Gateway.OpenAi.Requests;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmServe.Gateway.OpenAi;

/// <summary>POST /v1/chat/completions and POST /v1/completions.</summary>
public static class OpenAiEndpoints
{
    public static IEndpointRouteBuilder MapOpenAiEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/chat/completions", (HttpContext context, GenerationHandler handler) =>
            handler.HandleAsync(context, ApiKind.ChatCompletions));
        endpoints.MapPost("/v1/completions", (HttpContext context, GenerationHandler handler) =>
            handler.HandleAsync(context, ApiKind.Completions));
        return endpoints;
    }
}
