using LlmServe.Gateway.Errors;
using LlmServe.Gateway.Models;

namespace LlmServe.Gateway.OpenAi.Requests;

/// <summary>Reads <c>model</c> and resolves it before anything is published: unknown models are 404 here.</summary>
internal static class ModelParameter
{
    public static (string Requested, string Served) Resolve(ParameterReader p, ModelCatalog catalog)
    {
        string? requested = p.String("model");
        if (string.IsNullOrEmpty(requested))
        {
            // vLLM lets a client omit the model when one is served.
            requested = catalog.DefaultModel
                ?? throw ParameterReader.Invalid("'model' is required.", "model");
        }
        string served = catalog.Resolve(requested) ?? throw new ApiException(ErrorCatalog.ModelNotFound(Shorten(requested)));
        return (requested, served);
    }

    private static string Shorten(string s) => s.Length <= 256 ? s : s[..256] + "…";
}
