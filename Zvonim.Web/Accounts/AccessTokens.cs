namespace Zvonim.Web.Accounts;

/// <summary>
/// Where a WebSocket client's access token may be, besides <c>Authorization: Bearer</c>, which browsers cannot set on
/// a socket: the <c>access_token</c> query parameter, or the subprotocols <c>["access_token", token]</c> (the server
/// chooses <c>access_token</c> back; the token never leaves the handshake). Neither form reaches a log line: the request
/// log writes route templates, never query strings, and nothing logs the subprotocol header.
/// </summary>
public static class AccessTokens
{
    public const string SubProtocol = "access_token";

    public static string? FromWebSocketRequest(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest) return null; // everything else sends the header
        if (context.Request.Query["access_token"] is { Count: 1 } query && query[0] is { Length: > 0 } fromQuery) return fromQuery;
        var protocols = context.WebSockets.WebSocketRequestedProtocols;
        var at = protocols.IndexOf(SubProtocol);
        return at >= 0 && at + 1 < protocols.Count ? protocols[at + 1] : null;
    }
}
