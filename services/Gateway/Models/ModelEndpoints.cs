using System.Text.Json;
using LlmServe.Gateway.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LlmServe.Gateway.Models;

/// <summary>GET /v1/models and GET /v1/models/{id}.</summary>
public static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModelEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/v1/models", (HttpContext context, ModelCatalog catalog) =>
        {
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter, OpenAi.Responses.JsonOutput.Options);
            writer.WriteStartObject();
            writer.WriteString("object"u8, "list");
            writer.WriteStartArray("data"u8);
            foreach (var (id, created, root) in catalog.List())
            {
                WriteModel(writer, catalog, id, created, root);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
            return Task.CompletedTask;
        });
        endpoints.MapGet("/v1/models/{**id}", (HttpContext context, ModelCatalog catalog, string id) =>
        {
            // Clients escape the '/' of names like "meta-llama/Llama-3.1-8B"; Kestrel leaves %2F encoded.
            id = Uri.UnescapeDataString(id);
            var match = catalog.List().Where(m => m.Id == id).ToList();
            if (match.Count == 0)
            {
                throw new ApiException(ErrorCatalog.ModelNotFound(id));
            }
            context.Response.ContentType = "application/json";
            using var writer = new Utf8JsonWriter(context.Response.BodyWriter, OpenAi.Responses.JsonOutput.Options);
            WriteModel(writer, catalog, match[0].Id, match[0].CreatedUnix, match[0].Root);
            writer.Flush();
            return Task.CompletedTask;
        });
        return endpoints;
    }

    private static void WriteModel(Utf8JsonWriter writer, ModelCatalog catalog, string id, long created, string root)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, id);
        writer.WriteString("object"u8, "model");
        writer.WriteNumber("created"u8, created);
        writer.WriteString("owned_by"u8, "llmserve");
        writer.WriteString("root"u8, root);
        writer.WriteNull("parent"u8);
        int maxLen = catalog.MaxModelLen(root);
        if (maxLen > 0)
        {
            writer.WriteNumber("max_model_len"u8, maxLen);
        }
        writer.WriteEndObject();
    }
}
