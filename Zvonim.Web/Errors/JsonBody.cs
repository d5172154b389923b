using System.Text.Json;

namespace Zvonim.Web.Errors;

public static class JsonBody
{
    /// <summary>Reads an optional JSON body, answering a clear 400 instead of the framework's empty one.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.TransferEncoding.Any()))
            return (null, null);
        if (!request.HasJsonContentType())
            return (null, ApiError.Result(415, "unsupported_media_type", "Send the request body as application/json."));
        try
        {
            return (await request.ReadFromJsonAsync<T>(request.HttpContext.RequestAborted), null);
        }
        catch (JsonException ex)
        {
            return (null, ApiError.Result(400, "invalid_json", $"The request body is not valid JSON: {ex.Message}"));
        }
    }
}
