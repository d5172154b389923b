using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Zvonim.Bench.Load;

/// <summary>
/// The messages the generator sends. Relay messages are ICE-candidate sized (~270 bytes) and carry, at fixed places
/// near their end, a per-stream sequence number and the send timestamp (<see cref="System.Diagnostics.Stopwatch"/>
/// ticks, valid between the generator's own sockets), both as fixed-width strings so a message is stamped in place
/// without allocating and stays valid JSON.
/// </summary>
public static class Frames
{
    private const int SeqDigits = 10;
    private const int TsDigits = 19;

    private static readonly byte[] SeqMarker = "\"seq\":\""u8.ToArray();
    private static readonly byte[] TsMarker = "\",\"ts\":\""u8.ToArray();

    // Addresses from TEST-NET-1 (RFC 5737): text only, nothing is ever sent there.
    internal const string Candidate =
        "candidate:1467250027 1 udp 2122260223 192.0.2.23 61665 typ srflx raddr 192.0.2.10 rport 61665 generation 0 ufrag EsE4";

    /// <summary>A relay message template for one stream; <paramref name="stream"/> is only informative.</summary>
    public static byte[] IceTemplate(int stream) => Encoding.UTF8.GetBytes(
        $"{{\"type\":\"ice-candidate\",\"candidate\":{{\"candidate\":\"{Candidate}\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":\"EsE4\"}},\"stream\":{stream}," +
        $"\"seq\":\"{new string('0', SeqDigits)}\",\"ts\":\"{new string('0', TsDigits)}\"}}");

    /// <summary>Writes <paramref name="seq"/> and <paramref name="timestamp"/> into a template from <see cref="IceTemplate"/>.</summary>
    public static void Stamp(Span<byte> message, long seq, long timestamp)
    {
        // ..."seq":"NNNNNNNNNN","ts":"TTTTTTTTTTTTTTTTTTT"}  (or "}} when the stamp is inside an envelope, as PeerJS's payload)
        var tsAt = StampEnd(message) - TsDigits;
        var seqAt = tsAt - TsMarker.Length - SeqDigits;
        WriteDigits(message.Slice(seqAt, SeqDigits), seq);
        WriteDigits(message.Slice(tsAt, TsDigits), timestamp);
    }

    /// <summary>Reads the stamp of a relay message; false for anything else (the server's own messages).</summary>
    public static bool TryReadStamp(ReadOnlySpan<byte> frame, out long seq, out long timestamp)
    {
        seq = timestamp = 0;
        var tsAt = StampEnd(frame) - TsDigits;
        var seqAt = tsAt - TsMarker.Length - SeqDigits;
        if (seqAt < SeqMarker.Length || !frame.Slice(seqAt - SeqMarker.Length, SeqMarker.Length).SequenceEqual(SeqMarker))
            return false;
        return Utf8Parser.TryParse(frame.Slice(seqAt, SeqDigits), out seq, out var n1) && n1 == SeqDigits
            && Utf8Parser.TryParse(frame.Slice(tsAt, TsDigits), out timestamp, out var n2) && n2 == TsDigits;
    }

    /// <summary>Where the timestamp's digits end: before the closing quote and the closing braces of however many
    /// objects the stamp is nested in.</summary>
    private static int StampEnd(ReadOnlySpan<byte> frame)
    {
        var end = frame.Length;
        while (end > 0 && frame[end - 1] == (byte)'}') end--;
        return end - 1;
    }

    /// <summary>Where the stamp begins (the first digit of the sequence number), for comparing what precedes it.</summary>
    public static int StampStart(ReadOnlySpan<byte> frame) => StampEnd(frame) - TsDigits - TsMarker.Length - SeqDigits;

    /// <summary>The stamp fields as they end a template: <c>"seq":"000…","ts":"000…"</c>.</summary>
    public static string EmptyStamp => $"\"seq\":\"{new string('0', SeqDigits)}\",\"ts\":\"{new string('0', TsDigits)}\"";

    private static void WriteDigits(Span<byte> into, long value)
    {
        for (var i = into.Length - 1; i >= 0; i--)
        {
            into[i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
    }

    /// <summary>The top-level <c>type</c> of a JSON message, or null.</summary>
    public static string? TypeOf(ReadOnlySpan<byte> frame)
    {
        try
        {
            var reader = new Utf8JsonReader(frame);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                reader.Read();
                if (isType) return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>What the server says on its own (not relayed from the other participant).</summary>
    public static bool IsServerNews(string? type) => type is "state" or "join" or "leave" or "member-joined";

    public static readonly byte[] Leave = """{"type":"leave"}"""u8.ToArray();

    /// <summary>An offer with a browser-like SDP (~1.7 KB), as a call setup sends.</summary>
    public static byte[] Offer(string tag) => Sdp("offer", tag);

    public static byte[] Answer(string tag) => Sdp("answer", tag);

    /// <summary>The <paramref name="index"/>-th candidate of a setup, numbered so the order can be checked.</summary>
    public static byte[] SetupCandidate(int index) => Encoding.UTF8.GetBytes(
        $"{{\"type\":\"ice-candidate\",\"candidate\":{{\"candidate\":\"{Candidate}\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}},\"seq\":{index}}}");

    /// <summary>The <c>seq</c> of a setup candidate, or -1.</summary>
    public static int SetupCandidateIndex(ReadOnlySpan<byte> frame)
    {
        var at = frame.IndexOf("\"seq\":"u8);
        if (at < 0) return -1;
        return Utf8Parser.TryParse(frame[(at + 6)..], out int index, out _) ? index : -1;
    }

    private static byte[] Sdp(string type, string tag)
    {
        var sdp = new StringBuilder()
            .Append("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
            .Append("a=group:BUNDLE 0 1\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS stream\r\n");
        foreach (var (media, pt, codec) in new[] { ("audio", 111, "opus/48000/2"), ("video", 96, "VP8/90000") })
        {
            sdp.Append($"m={media} 9 UDP/TLS/RTP/SAVPF {pt}\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n")
                .Append($"a=ice-ufrag:{tag[..Math.Min(4, tag.Length)]}\r\na=ice-pwd:by4GZGG1lw+040DWA6hXM5Bz\r\na=ice-options:trickle\r\n")
                .Append("a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n")
                .Append($"a=setup:{(type == "offer" ? "actpass" : "active")}\r\na=mid:{(media == "audio" ? 0 : 1)}\r\na=sendrecv\r\na=msid:stream track-{media}\r\na=rtcp-mux\r\n")
                .Append($"a=rtpmap:{pt} {codec}\r\na=rtcp-fb:{pt} transport-cc\r\na=fmtp:{pt} minptime=10;useinbandfec=1\r\na=ssrc:1001 cname:bench{tag}\r\n");
        }
        return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["type"] = type, ["sdp"] = new { type, sdp = sdp.ToString() } });
    }
}
