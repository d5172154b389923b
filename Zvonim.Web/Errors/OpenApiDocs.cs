using Microsoft.OpenApi;

namespace Zvonim.Web.Errors;

/// <summary>What an endpoint tells the OpenAPI document (/openapi/v1.json): its summary, its answer, and the errors it
/// may give, each as the usual <c>{"error", "message"}</c> body.</summary>
public static class OpenApiDocs
{
    public static RouteHandlerBuilder Documented<TResponse>(this RouteHandlerBuilder endpoint, string summary, params int[] errors) =>
        endpoint.WithSummary(summary).Produces<TResponse>().Errors(errors);

    /// <summary>A WebSocket endpoint: 101 when upgraded, errors before that.</summary>
    public static RouteHandlerBuilder WebSocket(this RouteHandlerBuilder endpoint, string summary, params int[] errors) =>
        endpoint.WithSummary(summary).WithDescription("WebSocket: connect with a WebSocket client; the frames are JSON (see the README).")
            .Produces(StatusCodes.Status101SwitchingProtocols).Errors([400, .. errors]);

    /// <summary>The path's <c>{id}</c> is an integer to clients, though the handlers take it as text so that a
    /// non-integer one gets a clear 404 instead of a bare binding failure.</summary>
    public static TBuilder IntegerIds<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            foreach (var parameter in operation.Parameters ?? [])
            {
                if (parameter is OpenApiParameter { Name: "id", In: ParameterLocation.Path } id)
                    id.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" };
            }
            return Task.CompletedTask;
        });

    public static RouteHandlerBuilder Errors(this RouteHandlerBuilder endpoint, params int[] errors)
    {
        foreach (var status in errors.Distinct()) endpoint.Produces<ApiError>(status);
        return endpoint;
    }
}
