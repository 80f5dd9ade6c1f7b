using System.Text;
using LlmServe.Gateway.Configuration;
using LlmServe.Gateway.Errors;
using LlmServe.Gateway.Limits;
using LlmServe.Gateway.Models;
using LlmServe.Gateway.OpenAi.Requests;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace LlmServe.Reliability.Tests.Fuzzing;

/// <summary>
/// The gateway's request reading: the JSON body reader and the chat and completion parsers, fed generated and
/// mutated bodies. Each either yields a request or throws <see cref="ApiException"/> with a 4xx status (an
/// OpenAI-shaped error); nothing else escapes.
/// </summary>
public sealed class GatewayRequestFuzzTests
{
    private const string Model = "tiny";

    private static readonly GatewayOptions Settings = CreateSettings();

    private static GatewayOptions CreateSettings()
    {
        var settings = new GatewayOptions { MaxRequestBodyBytes = 64 * 1024 };
        settings.Models.Add(Model);
        return settings;
    }

    [Theory]
    [InlineData(ApiKind.ChatCompletions)]
    [InlineData(ApiKind.Completions)]
    public async Task Generated_and_mutated_bodies_parse_or_fail_with_a_client_error(ApiKind kind)
    {
        var random = new Random(FuzzBudget.Seed + (int)kind);
        var bodies = new JsonBodyGenerator(random);
        var mutator = new ByteMutator(random);
        var catalog = new ModelCatalog(Options.Create(Settings), TimeProvider.System);
        int accepted = 0;
        for (int i = 0; i < FuzzBudget.Cases; i++)
        {
            string body = bodies.Body(Model, chat: kind == ApiKind.ChatCompletions);
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            if (i % 3 == 2)
            {
                bytes = mutator.Mutate(bytes);
            }
            try
            {
                await ParseAsync(kind, bytes, catalog);
                accepted++;
            }
            catch (ApiException e)
            {
                Assert.True(e.Error.Status is >= 400 and < 500, $"case {i} (seed {FuzzBudget.Seed}): status {e.Error.Status} for {Encoding.UTF8.GetString(bytes)}");
                Assert.False(string.IsNullOrEmpty(e.Error.Message));
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} (seed {FuzzBudget.Seed}) threw {e.GetType().Name}: {e.Message}\nbody: {Encoding.UTF8.GetString(bytes)}");
            }
        }
        Assert.True(accepted > 0, "no generated body was valid: the generator no longer reaches the parser's success path");
    }

    private static async Task ParseAsync(ApiKind kind, byte[] bytes, ModelCatalog catalog)
    {
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        using var body = await JsonRequestBody.ReadAsync(context, Settings.MaxRequestBodyBytes);
        _ = kind == ApiKind.ChatCompletions
            ? ChatRequestParser.Parse(body.Root, Settings, catalog)
            : CompletionRequestParser.Parse(body.Root, Settings, catalog);
    }
}
