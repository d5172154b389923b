using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Zvonim.Web.Settings;

namespace Zvonim.Web.Errors;

public static class JsonBody
{
    /// <summary>Reads an optional JSON body, answering a clear 4xx instead of the framework's empty one: 413 past
    /// <see cref="LimitOptions.MaxJsonBodyBytes"/> (announced or not), 415 for another media type or a charset other
    /// than UTF-8 (JSON is UTF-8), 400 for what does not parse.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonSerializerOptions? json = null) where T : class
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.TransferEncoding.Any()))
            return (null, null);
        if (!request.HasJsonContentType() || !IsUtf8(request.ContentType))
            return (null, ApiError.Result(415, "unsupported_media_type", "Send the request body as application/json in UTF-8."));
        var limit = request.HttpContext.RequestServices.GetRequiredService<IOptions<ZvonimOptions>>().Value.Limits.MaxJsonBodyBytes;
        if (request.ContentLength > limit) return (null, TooLarge(limit));
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limit; // a chunked body is cut off at the limit as it arrives
        try
        {
            return (json is null
                ? await request.ReadFromJsonAsync<T>(request.HttpContext.RequestAborted)
                : await request.ReadFromJsonAsync<T>(json, request.HttpContext.RequestAborted), null);
        }
        catch (JsonException ex)
        {
            // The framework's message names our internal types: say what is wrong, and where, in the client's terms.
            var where = ex.Path is { Length: > 1 } path ? $" at {path}" : "";
            return (null, ApiError.Result(400, "invalid_json", ex.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"The request body has a value of the wrong type{where}; see /docs for the fields this endpoint takes."
                : $"The request body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})."));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }
    }

    private static IResult TooLarge(int limit) =>
        ApiError.Result(413, "payload_too_large", $"The request body is limited to {limit} bytes.");

    private static bool IsUtf8(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && (media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || media.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));
}
