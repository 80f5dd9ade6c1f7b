using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmServe.Gateway.Tokenization;

/// <summary>POST /tokenize and POST /detokenize (vLLM's shapes).</summary>
public static class TokenizationEndpoints
{
    public static IEndpointRouteBuilder MapTokenizationEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/tokenize", (HttpContext context, TokenizationHandler handler) => handler.TokenizeAsync(context));
        endpoints.MapPost("/detokenize", (HttpContext context, TokenizationHandler handler) => handler.DetokenizeAsync(context));
        return endpoints;
    }
}
