using Serilog;
using Serilog.Events;
using Zvonim.Web.Limits;

namespace Zvonim.Web.Hosting;

public static class RequestLogging
{
    /// <summary>Client mistakes one address may have logged per minute; the rest go to debug, so no client can turn
    /// its own bad requests into a log flood.</summary>
    public const int ClientErrorLinesPerMinute = 30;

    /// <summary>
    /// One line per request (Serilog.AspNetCore) at a level that does not flood: server errors as errors, a 503 the
    /// server chose to answer (a node or an address at its limit) as a warning and client errors as information, both
    /// up to <see cref="ClientErrorLinesPerMinute"/> per address, everything that went well (pages, API calls,
    /// finished sockets) at debug. The query string is left out of the line: it may hold a peer
    /// id or a token.
    /// </summary>
    public static IApplicationBuilder UseZvonimRequestLogging(this IApplicationBuilder app)
    {
        var allowance = new AddressBuckets(ClientErrorLinesPerMinute, app.ApplicationServices.GetRequiredService<TimeProvider>());
        // Given no logger, the middleware makes one per request (Log.ForContext): four per call setup, for a line that
        // is nearly always below the level written.
        var logger = app.ApplicationServices.GetService<Serilog.ILogger>() ?? Log.Logger;
        return app.UseSerilogRequestLogging(options =>
        {
            options.Logger = logger;
            // The route template, not the path: ids in paths are the keys to calls. Serilog would attach the path as
            // RequestPath all the same (shown by any template that prints the event's properties): it gets the
            // properties the message names and nothing more.
            options.MessageTemplate = "HTTP {RequestMethod} {Route} answered {StatusCode} {ErrorCode} in {Elapsed:0.0} ms";
            options.GetMessageTemplateProperties = static (context, _, elapsed, status) =>
            [
                new LogEventProperty("RequestMethod", new ScalarValue(context.Request.Method)),
                new LogEventProperty("StatusCode", new ScalarValue(status)),
                new LogEventProperty("Elapsed", new ScalarValue(elapsed)),
            ];
            options.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                diagnostics.Set("Route", (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value);
                diagnostics.Set("ErrorCode", context.Items.TryGetValue(Errors.ApiError.LogItem, out var code) ? code : "");
            };
            options.GetLevel = (context, _, error) =>
            {
                var status = context.Response.StatusCode;
                // A refusal at a limit is no fault of the server's, and a client may repeat it as often as it likes.
                var refusal = status == StatusCodes.Status503ServiceUnavailable && context.Items.ContainsKey(Errors.ApiError.LogItem);
                if (error is not null || status >= 500 && !refusal) return LogEventLevel.Error;
                if (status < 400) return LogEventLevel.Debug;
                if (!allowance.TryTake(ClientAddress.Of(context), out TimeSpan _)) return LogEventLevel.Debug;
                return refusal ? LogEventLevel.Warning : LogEventLevel.Information;
            };
        });
    }
}
