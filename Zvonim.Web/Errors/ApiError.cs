using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Zvonim.Web.Errors;

/// <summary>The body of every 4xx/5xx answer: a stable machine code and a sentence for people.</summary>
public sealed record ApiError(string Error, string Message)
{
    public static IResult Result(int status, string error, string message) =>
        Results.Json(new ApiError(error, message), statusCode: status);
}

public static class ApiErrorHandling
{
    /// <summary>Turns every error the framework produces (unknown route, wrong method, unreadable request, a bug)
    /// into the same JSON shape the endpoints use.</summary>
    public static WebApplication UseJsonErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            // A client's malformed request is the client's mistake, not the server's: the request log has its one
            // line (at information), with no stack trace for anyone to flood the log with.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
            ExceptionHandler = async context =>
            {
                var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
                var body = error is BadHttpRequestException bad
                    ? new ApiError("bad_request", bad.Message)
                    : new ApiError("internal_error", "The server failed to handle this request.");
                await WriteAsync(context, body);
            },
        });
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var body = context.Response.StatusCode switch
            {
                404 => new ApiError("not_found", $"No such endpoint: {context.Request.Method} {context.Request.Path}."),
                405 => new ApiError("method_not_allowed", $"{context.Request.Method} is not allowed on {context.Request.Path}."),
                415 => new ApiError("unsupported_media_type", "Send the request body as application/json."),
                _ => new ApiError("error", $"The request failed with status {context.Response.StatusCode}."),
            };
            await WriteAsync(context, body);
        });
        return app;
    }

    private static Task WriteAsync(HttpContext context, ApiError body)
    {
        var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>();
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, body, options.Value.SerializerOptions);
    }
}
