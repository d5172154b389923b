using Zvonim.Web.Errors;

namespace Zvonim.Web.Turn;

public static class TurnEndpoints
{
    public static IEndpointRouteBuilder MapTurnConfig(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/turn-config", (TurnCredentials turn, HttpRequest request, HttpResponse response) =>
        {
            response.Headers.CacheControl = "no-store"; // credentials are per request and expire
            var host = request.Host.Host;
            return Results.Json(turn.Current(host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host));
        }).WithTags("ICE servers").Documented<TurnConfig>("STUN and TURN servers for RTCPeerConnection, with short-lived TURN credentials");
        return app;
    }
}
