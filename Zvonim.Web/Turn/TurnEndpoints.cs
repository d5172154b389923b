namespace Zvonim.Web.Turn;

public static class TurnEndpoints
{
    public static IEndpointRouteBuilder MapTurnConfig(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/turn-config", (TurnCredentials turn, HttpResponse response) =>
        {
            response.Headers.CacheControl = "no-store"; // credentials are per request and expire
            return Results.Json(turn.Current());
        });
        return app;
    }
}
