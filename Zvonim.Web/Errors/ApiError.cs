using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Zvonim.Web.Errors;

/// <summary>The body of every 4xx/5xx answer: a stable machine code and a sentence for people.</summary>
public sealed record ApiError(string Error, string Message)
{
    /// <summary>Where the request's log line finds the error code (never the message, which may quote the client).</summary>
    public const string LogItem = "zvonim.error";

    public static IResult Result(int status, string error, string message) => new Answer(status, new ApiError(error, message));

    /// <summary>An error whose body says more than <c>{error, message}</c> (written with <paramref name="json"/>).</summary>
    public static IResult Result<TBody>(int status, string error, TBody body, JsonSerializerOptions json) => new Extended<TBody>(status, error, body, json);

    private sealed class Extended<TBody>(int status, string error, TBody body, JsonSerializerOptions json) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Items[LogItem] = error;
            return Results.Json(body, json, statusCode: status).ExecuteAsync(httpContext);
        }
    }

    /// <summary>The JSON answer, which also leaves its code for the request log.</summary>
    private sealed class Answer(int status, ApiError body) : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<ApiError>
    {
        public int? StatusCode => status;

        public ApiError Value => body;

        object? IValueHttpResult.Value => body;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Items[LogItem] = body.Error;
            return Results.Json(body, statusCode: status).ExecuteAsync(httpContext);
        }
    }
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
            if (context.Response.StatusCode == 404 && WantsPage(context.Request))
            {
                // A person who typed a wrong address: a page, not JSON.
                var page = context.RequestServices.GetRequiredService<IWebHostEnvironment>().WebRootFileProvider.GetFileInfo("404.html");
                if (page.Exists)
                {
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.SendFileAsync(page);
                    return;
                }
            }
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

    /// <summary>A browser navigating (it asks for HTML) to something that is not an API.</summary>
    private static bool WantsPage(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal)
        && !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/apiv2");

    private static Task WriteAsync(HttpContext context, ApiError body)
    {
        context.Items[ApiError.LogItem] = body.Error;
        var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>();
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, body, options.Value.SerializerOptions);
    }
}
