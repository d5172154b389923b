using Serilog;
using Serilog.Events;

namespace Zvonim.Web.Hosting;

public static class RequestLogging
{
    /// <summary>
    /// One line per request (Serilog.AspNetCore) at a level that does not flood: server errors as errors, client
    /// errors as information, everything that went well (pages, API calls, finished sockets) at debug. The query
    /// string is left out of the line: it may hold a peer id or, later, a token.
    /// </summary>
    public static IApplicationBuilder UseZvonimRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} answered {StatusCode} in {Elapsed:0.0} ms";
            options.GetLevel = (context, _, error) => error is not null || context.Response.StatusCode >= 500
                ? LogEventLevel.Error
                : context.Response.StatusCode >= 400 ? LogEventLevel.Information : LogEventLevel.Debug;
        });
}
