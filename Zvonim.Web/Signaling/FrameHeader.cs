using System.Text.Json;

namespace Zvonim.Web.Signaling;

/// <summary>
/// The few top-level fields the server routes on, read from a client frame in one forward pass. The rest of the
/// frame (SDP, candidates) is only validated as JSON, never materialised: it is relayed as the original bytes.
/// </summary>
/// <param name="Type">The type's text only when it is none of the known ones (for the error message): a known type is
/// <paramref name="TypeIndex"/> alone, so the hot path allocates no string for it.</param>
public readonly record struct FrameHeader(int TypeIndex, string? Type, string? To, bool HasFrom, string? From)
{
    /// <summary>Reads <c>type</c> (matched against <paramref name="knownTypes"/> without allocating), <c>to</c> and
    /// <c>from</c>. Returns an error sentence when the frame is not a JSON object with a string <c>type</c>.</summary>
    public static string? TryRead(ReadOnlySpan<byte> frame, ReadOnlySpan<byte[]> knownTypes, out FrameHeader header) =>
        TryRead(frame, knownTypes, out header, "to"u8);

    /// <summary>As above, with the address read from <paramref name="toField"/> (seed 002 routes on <c>callId</c>).</summary>
    public static string? TryRead(ReadOnlySpan<byte> frame, ReadOnlySpan<byte[]> knownTypes, out FrameHeader header, ReadOnlySpan<byte> toField)
    {
        header = default;
        var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = 64 });
        int typeIndex = -1;
        string? type = null, to = null, from = null;
        bool hasFrom = false, sawType = false, sawTo = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return "A message must be a JSON object.";
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    if (sawType) return "'type' appears twice.";
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String) return "'type' must be a string.";
                    sawType = true;
                    typeIndex = Match(ref reader, knownTypes);
                    if (typeIndex < 0) type = reader.GetString();
                }
                else if (reader.ValueTextEquals(toField))
                {
                    if (sawTo) return $"'{System.Text.Encoding.UTF8.GetString(toField)}' appears twice.";
                    sawTo = true;
                    reader.Read();
                    to = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null)) return $"'{System.Text.Encoding.UTF8.GetString(toField)}' must be a string.";
                }
                else if (reader.ValueTextEquals("from"u8))
                {
                    // Parsers disagree on which of two keys wins; the server must not vouch for an ambiguous sender.
                    if (hasFrom) return "'from' appears twice.";
                    reader.Read();
                    hasFrom = true;
                    from = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
                return "A message must be exactly one JSON object.";
        }
        catch (JsonException ex)
        {
            return $"The message is not valid JSON: {ex.Message}";
        }
        catch (InvalidOperationException)
        {
            return "The message is not valid JSON: it holds text that is not valid UTF-16 (an unpaired surrogate escape).";
        }
        if (!sawType) return "A message needs a 'type'.";
        header = new FrameHeader(typeIndex, type, to, hasFrom, from);
        return null;
    }

    private static int Match(ref Utf8JsonReader reader, ReadOnlySpan<byte[]> knownTypes)
    {
        for (var i = 0; i < knownTypes.Length; i++)
        {
            if (reader.ValueTextEquals(knownTypes[i])) return i;
        }
        return -1;
    }
}
