using System.Text.Json;

namespace Zvonim.Web.Signaling;

/// <summary>Adds a server field to a client's JSON object without re-serialising the client's part.</summary>
public static class JsonSplice
{
    /// <summary>Inserts <c>"name":"value",</c> right after the opening brace of an object already checked as valid.</summary>
    public static byte[] PrependStringProperty(ReadOnlySpan<byte> jsonObject, string name, string value)
    {
        var open = jsonObject.IndexOf((byte)'{');
        var rest = jsonObject[(open + 1)..];
        var isEmpty = rest.TrimStart(" \t\r\n"u8).StartsWith("}"u8);
        var property = JsonSerializer.SerializeToUtf8Bytes(name);
        var encoded = JsonSerializer.SerializeToUtf8Bytes(value);
        var result = new byte[jsonObject.Length + property.Length + encoded.Length + 2];
        var at = 0;
        jsonObject[..(open + 1)].CopyTo(result);
        at += open + 1;
        property.CopyTo(result, at);
        at += property.Length;
        result[at++] = (byte)':';
        encoded.CopyTo(result, at);
        at += encoded.Length;
        if (!isEmpty) result[at++] = (byte)',';
        rest.CopyTo(result.AsSpan(at));
        at += rest.Length;
        return result[..at];
    }
}
