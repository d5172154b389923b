using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Zvonim.Tests.Web.HttpKit;

namespace Zvonim.Tests.Api;

/// <summary>The API described at /openapi/v1.json and browsable at /docs: every route the server maps is in it, with
/// its answer and its errors in the usual shape.</summary>
public sealed class OpenApiTests
{
    [Fact]
    public async Task Every_mapped_route_is_described_with_its_answer_and_its_errors()
    {
        await using var server = Server();
        using var http = server.Client();
        using var response = await http.GetAsync("/openapi/v1.json");
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        var paths = document["paths"]!.AsObject();

        var routes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.Trim('/'), Methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods))
            .ToList();
        Assert.True(routes.Count >= 14, $"only {routes.Count} routes found");
        foreach (var (path, methods) in routes)
        {
            Assert.True(paths.ContainsKey(path), $"{path} is mapped but not in the OpenAPI document");
            foreach (var method in methods)
            {
                var operation = paths[path]![method.ToLowerInvariant()]?.AsObject();
                Assert.True(operation is not null, $"{method} {path} is mapped but not described");
                var responses = operation["responses"]!.AsObject();
                Assert.True(responses.ContainsKey("200") || responses.ContainsKey("101"), $"{method} {path} has no answer described");
                foreach (var (status, described) in responses.Where(r => r.Key[0] is '4' or '5'))
                {
                    var schema = described!["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>();
                    Assert.True(schema?.EndsWith("/ApiError", StringComparison.Ordinal) == true, $"{method} {path} {status} is not an ApiError");
                }
                if (path != "/api/turn-config") Assert.True(responses.Any(r => r.Key[0] == '4'), $"{method} {path} describes no error");
            }
        }

        // Chat and group ids are integers to clients, though their handlers parse them from text.
        foreach (var path in new[] { "/api/v1/groups/{id}", "/api/v1/group/{id}/call", "/api/v1/chat/{id}/call" })
        {
            var id = paths[path]!.AsObject().First().Value!["parameters"]!.AsArray().Single(p => (string?)p!["name"] == "id")!;
            Assert.Equal(("integer", "int64"), ((string?)id["schema"]!["type"], (string?)id["schema"]!["format"]));
        }

        // Errors are described as {"error", "message"}, the body every error has.
        var error = document["components"]!["schemas"]!["ApiError"]!["properties"]!.AsObject();
        Assert.True(error.ContainsKey("error") && error.ContainsKey("message"), error.ToJsonString());
        // Bodies are described in the wire's snake_case.
        var created = document["components"]!["schemas"]!["CreatedCall"]!["properties"]!.AsObject();
        Assert.True(created.ContainsKey("call_id") && created.ContainsKey("peer_id"), created.ToJsonString());
    }

    [Fact]
    public async Task The_reference_is_browsable_at_docs()
    {
        await using var server = Server();
        using var http = server.Client();
        using var response = await http.GetAsync("/docs");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync();
        Assert.True(page.Contains("openapi/v1.json", StringComparison.Ordinal) || page.Contains("openapi/{documentName}.json", StringComparison.Ordinal), page);
    }
}
