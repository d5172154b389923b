using QRCoder;
using Zvonim.Web.Errors;

namespace Zvonim.Web.Client;

/// <summary>The browser client: static files under wwwroot and the page routes that serve it.</summary>
public static class ClientEndpoints
{
    /// <summary>Longest text the QR endpoint encodes; a call link is far shorter.</summary>
    public const int MaxQrTextLength = 1024;

    /// <summary>Most bytes a QR code holds in byte mode at the error correction used (version 40, level M).</summary>
    public const int MaxQrBytes = 2331;

    // Pages may talk to their own origin only (HTTP and WebSocket), show their own images and local media streams.
    private const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; media-src 'self' blob: mediastream:; " +
        "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    public static WebApplication MapClient(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // No build step, so no hashed file names: let the browser revalidate (ETag) instead of caching blindly.
            OnPrepareResponse = file =>
            {
                file.Context.Response.Headers.CacheControl = "no-cache";
                if (file.File.Name.EndsWith(".html", StringComparison.Ordinal)) AddPageHeaders(file.Context.Response);
            },
        });

        // The shared links: an apiv2 call (seed 000) and a link room (seed 004). One page serves both; it reads which
        // from the address, and an unknown call or room is its business to report.
        app.MapGet("/c/{callId}", (HttpContext context, IWebHostEnvironment env) => Page(context, env, "call.html")).ExcludeFromDescription();
        app.MapGet("/r/{token}", (HttpContext context, IWebHostEnvironment env) => Page(context, env, "call.html")).ExcludeFromDescription();
        // A group room (seed 003): asks for a name, then a grid of tiles, one connection per other participant.
        app.MapGet("/g/{roomId}", (HttpContext context, IWebHostEnvironment env) => Page(context, env, "group.html")).ExcludeFromDescription();
        // Accounts (seed 002): sign in, see who is online, call them, be rung.
        app.MapGet("/app", (HttpContext context, IWebHostEnvironment env) => Page(context, env, "app.html")).ExcludeFromDescription();
        // A chat's or group's call through the media forwarder (seed 001): /meet?chat=<id> or ?group=<id>.
        app.MapGet("/meet", (HttpContext context, IWebHostEnvironment env) => Page(context, env, "meet.html")).ExcludeFromDescription();
        app.MapGet("/api/qr", Qr).WithTags("Client").WithSummary("A link as an SVG QR code: ?text=<http(s) URL>")
            .Produces(StatusCodes.Status200OK, contentType: "image/svg+xml").Errors(400);
        return app;
    }

    private static IResult Page(HttpContext context, IWebHostEnvironment env, string name)
    {
        var file = env.WebRootFileProvider.GetFileInfo(name);
        if (!file.Exists || file.PhysicalPath is null)
            return ApiError.Result(500, "client_missing", $"The client page {name} is not installed (wwwroot).");
        context.Response.Headers.CacheControl = "no-cache";
        AddPageHeaders(context.Response);
        return Results.File(file.PhysicalPath, "text/html; charset=utf-8");
    }

    private static void AddPageHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        // The call link is the only key to a call: never hand it to another site in a Referer header.
        headers["Referrer-Policy"] = "no-referrer";
        headers["Permissions-Policy"] = "camera=(self), microphone=(self), display-capture=()";
    }

    /// <summary><c>GET /api/qr?text=&lt;http(s) URL&gt;</c>: the URL as a QR code in SVG.</summary>
    private static IResult Qr(HttpContext context)
    {
        var text = context.Request.Query["text"].ToString();
        if (text.Length == 0)
            return ApiError.Result(400, "invalid_request", "Pass the link to encode: /api/qr?text=<http(s) URL>.");
        if (text.Length > MaxQrTextLength)
            return ApiError.Result(400, "invalid_request", $"The text is longer than {MaxQrTextLength} characters.");
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return ApiError.Result(400, "invalid_request", "Only absolute http:// or https:// links are encoded.");

        // QRCoder writes text beyond ISO-8859-1 as UTF-8, up to three bytes a character: a link short enough in
        // characters may still not fit in the largest code.
        var bytes = text.All(c => c <= '\u00FF') ? text.Length : System.Text.Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxQrBytes)
            return TooLongForQr(bytes);

        string svg;
        try
        {
            using var generator = new QRCodeGenerator();
            using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
            svg = new SvgQRCode(data).GetGraphic(8, "#000000", "#ffffff", drawQuietZones: true, SvgQRCode.SizingMode.ViewBoxAttribute);
        }
        catch (QRCoder.Exceptions.DataTooLongException)
        {
            return TooLongForQr(bytes); // should the count above ever disagree with QRCoder's, still the client's error
        }

        // The link is the key to a call: browsers may keep it, shared caches may not.
        context.Response.Headers.CacheControl = "private, max-age=3600";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Text(svg, "image/svg+xml; charset=utf-8");
    }

    private static IResult TooLongForQr(int bytes) => ApiError.Result(400, "invalid_request",
        $"The link takes {bytes} bytes to encode (UTF-8 for characters outside Latin-1); a QR code holds at most {MaxQrBytes}.");
}
