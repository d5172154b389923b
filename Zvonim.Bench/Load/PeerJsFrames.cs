using System.Text;

namespace Zvonim.Bench.Load;

/// <summary>
/// The relay messages in the PeerJS server's protocol (npm <c>peer</c>): the sender writes
/// <c>{"type":"CANDIDATE","dst":B,"payload":{…}}</c> and the server hands B <c>{"type":"CANDIDATE","src":A,"dst":B,"payload":{…}}</c>
/// (it parses the frame, sets <c>src</c>, and stringifies type, src, dst, payload in that order). The payload is what
/// a PeerJS client puts in a candidate (the candidate, <c>type</c> and <c>connectionId</c>) followed by the bench's
/// stamp, so a message is as large as Zvonim's and is stamped and checked the same way (<see cref="Frames.Stamp"/>).
/// </summary>
public static class PeerJsFrames
{
    /// <summary>What one stream sends from <paramref name="src"/> to <paramref name="dst"/>.</summary>
    public static byte[] CandidateTemplate(int stream, string dst) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"CANDIDATE\",\"dst\":{Quote(dst)},\"payload\":{Payload(stream)}}}");

    /// <summary>What the receiver must get for <see cref="CandidateTemplate"/> (before the stamp, byte for byte).</summary>
    public static byte[] RelayedTemplate(int stream, string src, string dst) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"CANDIDATE\",\"src\":{Quote(src)},\"dst\":{Quote(dst)},\"payload\":{Payload(stream)}}}");

    /// <summary>The query a PeerJS client connects with (key "peerjs", the default).</summary>
    public static string SocketPathAndQuery(string id, string token) =>
        $"/peerjs?key=peerjs&id={Uri.EscapeDataString(id)}&token={Uri.EscapeDataString(token)}";

    /// <summary>What the server says on its own: OPEN once registered; anything else (ERROR, ID-TAKEN, EXPIRE, LEAVE)
    /// means the relay did not go as planned.</summary>
    public static bool IsServerNews(string? type) => type is "OPEN";

    private static string Payload(int stream) =>
        $"{{\"candidate\":{{\"candidate\":\"{Frames.Candidate}\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":\"EsE4\"}}," +
        $"\"type\":\"media\",\"connectionId\":\"mc_bench{stream}\",{Frames.EmptyStamp}}}";

    // Ids are the bench's own (letters, digits, dashes): nothing to escape.
    private static string Quote(string id) => $"\"{id}\"";
}
