using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Zvonim.Bench.Sfu;
using Zvonim.Media.Dtls;
using Zvonim.Media.Ice;
using Zvonim.Tests.Contracts;
using Zvonim.Tests.Web;

namespace Zvonim.Tests.Cluster;

/// <summary>
/// A seed-001 participant without a browser: its SDP written the way Chromium writes it, over a real call socket, and
/// the bench's load peer for the media (ICE checks, a DTLS client handshake, SRTP). It publishes one VP8 track, sent as
/// a browser's encoder would when the forwarder asks it for a key frame (<see cref="SendUntilAsync"/>).
/// </summary>
public sealed partial class ChatCallMediaClient : IAsyncDisposable
{
    public const byte Vp8 = 96;
    private const int FrameEvery = 5;
    private static readonly int[] SrtpProfiles = [DtlsSrtpProfile.AeadAes128Gcm, DtlsSrtpProfile.AesCm128HmacSha1_80];
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly ClientIdentity _identity = ClientIdentity.Create();
    private readonly string _pwd = RandomNumberGenerator.GetString(IceCredentials.Alphabet, IceCredentials.PwdLength);
    private readonly long _roomId;
    private readonly string _sessionId;
    private long _sent;
    private long _answered; // the forwarder's key-frame requests for Ssrc answered with a burst

    private ChatCallMediaClient(WsClient socket, string label, long roomId, string sessionId)
    {
        Socket = socket;
        Media = SfuLoadPeer.Unconnected(label);
        _roomId = roomId;
        _sessionId = sessionId;
    }

    public WsClient Socket { get; }

    public SfuLoadPeer Media { get; }

    /// <summary>The SSRC this participant sends under.</summary>
    public uint Ssrc { get; } = (uint)Random.Shared.Next(1, int.MaxValue);

    /// <summary>The forwarder's address from the server's answer: the node that holds the room's media.</summary>
    public IPEndPoint? Forwarder { get; private set; }

    /// <summary>Opens <paramref name="path"/> (a chat's or group's call) with the token in the header and joins.</summary>
    public static async Task<ChatCallMediaClient> JoinAsync(Uri socket, SignedInUser user, long roomId, string sessionId)
    {
        var ws = await WsClient.ConnectAsync(socket, user.Name, o => o.SetRequestHeader("Authorization", $"Bearer {user.Token}"));
        await ws.SendTextAsync($$"""{"type":"join","roomId":{{roomId}},"sessionId":"{{sessionId}}"}""");
        return Over(ws, user.Name, roomId, sessionId);
    }

    /// <summary>A participant on a socket already open (and joined, or not) under <paramref name="sessionId"/>.</summary>
    public static ChatCallMediaClient Over(WsClient socket, string label, long roomId, string sessionId) => new(socket, label, roomId, sessionId);

    /// <summary>Offers its track and returns the server's answer, without connecting any media.</summary>
    public async Task<WsMessage> OfferAsync()
    {
        await SendDescriptionAsync("offer", Offer());
        return await Socket.ReceiveAsync("answer");
    }

    /// <summary>Offers its track, takes the server's answer, and connects its media to the forwarder the answer names.</summary>
    public async Task PublishAsync()
    {
        var answer = (string)(await OfferAsync())["payload"]!["sdp"]!;
        var candidate = LoopbackCandidate().Match(answer);
        Assert.True(candidate.Success, $"no loopback candidate in the answer:\n{answer}");
        Forwarder = new IPEndPoint(IPAddress.Loopback, int.Parse(candidate.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        var ufrag = Attribute(answer, "ice-ufrag");
        var pwd = Attribute(answer, "ice-pwd");
        var fingerprint = Fingerprint.Parse(Attribute(answer, "fingerprint"));
        Assert.True(fingerprint is not null, $"no fingerprint in the answer:\n{answer}");
        Media.ConnectTo(Forwarder);
        await Task.Run(() =>
        {
            Media.ConnectIce(ufrag, pwd, Patience);
            Media.Handshake(_identity, SrtpProfiles, fingerprint, Patience);
        });
    }

    /// <summary>Answers the server's next offer, taking every track it offers; returns the SSRC and payload type of the
    /// first track it sends this participant.</summary>
    public async Task<(uint Ssrc, byte PayloadType)> AcceptOfferAsync()
    {
        var offer = (string)(await Socket.ReceiveAsync("offer"))["payload"]!["sdp"]!;
        await SendDescriptionAsync("answer", AnswerTo(offer));
        var sending = OfferedTrack().Match(offer);
        Assert.True(sending.Success, $"the server's offer sends nothing:\n{offer}");
        return (uint.Parse(sending.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), byte.Parse(sending.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Answers the forwarder's key-frame requests (RTCP PLI or FIR) for this participant's track until each of
    /// <paramref name="receivers"/> has <paramref name="count"/> packets: at every request not yet answered, one burst
    /// of <paramref name="count"/> VP8-sized packets that starts with a key frame. The forwarder asks when a subscriber
    /// starts receiving the track (once its answer is applied, after the subscription is in place) and when a
    /// subscriber asks it, so nothing is sent on a timer; <paramref name="timeout"/> only bounds how long that may take.</summary>
    public async Task SendUntilAsync(IReadOnlyList<ReceiveStats> receivers, int count, TimeSpan timeout)
    {
        Media.StartDraining(); // hears the forwarder's RTCP (a request sent earlier waits in the socket)
        var requests = Media.KeyFrameRequests;
        var enough = Task.WhenAll(receivers.Select(r => r.WhenReceived(count)));
        using var bound = new CancellationTokenSource(timeout);
        try
        {
            while (!enough.IsCompleted)
            {
                var request = requests.WhenRequested(Ssrc, _answered);
                if (await Task.WhenAny(enough, request).WaitAsync(bound.Token) != request) continue;
                _answered = requests.Count(Ssrc);
                // Whole frames (packet indices from 0, a frame every FrameEvery), so every burst's key frame starts one.
                var burst = (count + FrameEvery - 1) / FrameEvery * FrameEvery;
                for (var i = 0; i < burst; i++) Media.SendNext(Ssrc, Vp8, 1000, _sent++, FrameEvery, timestampStep: 3000, keyFrame: i == 0);
            }
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            throw new TimeoutException($"{Media.Label}: {requests.Count(Ssrc)} key-frame requests heard, {_sent} packets sent, and the others "
                + $"did not get {count} within {timeout.TotalSeconds} s (they have {string.Join(", ", receivers.Select(r => r.Received))})");
        }
    }

    /// <summary>Sends <paramref name="count"/> more packets of its track at once, carrying on from the last one sent.</summary>
    public void SendMore(int count)
    {
        for (var i = 0; i < count; i++) Media.SendNext(Ssrc, Vp8, 1000, _sent++, FrameEvery, timestampStep: 3000);
    }

    private Task SendDescriptionAsync(string type, string sdp) =>
        Socket.SendTextAsync(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = type,
            ["payload"] = new Dictionary<string, string> { ["type"] = type, ["sdp"] = sdp },
            ["roomId"] = _roomId,
            ["sessionId"] = _sessionId,
        }));

    private string Offer() => $"""
        v=0
        o=- {Random.Shared.NextInt64()} 2 IN IP4 127.0.0.1
        s=-
        t=0 0
        a=group:BUNDLE 0
        a=msid-semantic: WMS stream-{Ssrc}
        m=video 9 UDP/TLS/RTP/SAVPF {Vp8}
        c=IN IP4 0.0.0.0
        a=rtcp:9 IN IP4 0.0.0.0
        a=ice-ufrag:{Media.Ufrag}
        a=ice-pwd:{_pwd}
        a=ice-options:trickle
        a=fingerprint:{_identity.Fingerprint}
        a=setup:actpass
        a=mid:0
        a=extmap:5 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
        a=sendonly
        a=msid:stream-{Ssrc} track-{Ssrc}
        a=rtcp-mux
        a=rtcp-rsize
        a=rtpmap:{Vp8} VP8/90000
        a=rtcp-fb:{Vp8} nack pli
        a=ssrc:{Ssrc} cname:load-{Ssrc}
        a=ssrc:{Ssrc} msid:stream-{Ssrc} track-{Ssrc}

        """.ReplaceLineEndings("\r\n");

    /// <summary>The server's offer turned into this participant's answer: its own credentials, the DTLS client role,
    /// each direction mirrored, the server's SSRCs and candidates left out.</summary>
    private string AnswerTo(string offer)
    {
        var lines = offer.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith("a=ssrc:", StringComparison.Ordinal) && !l.StartsWith("a=candidate:", StringComparison.Ordinal)
                && !l.StartsWith("a=msid:", StringComparison.Ordinal) && l is not "a=ice-lite" and not "a=end-of-candidates")
            .Select(l => l switch
            {
                _ when l.StartsWith("a=ice-ufrag:", StringComparison.Ordinal) => $"a=ice-ufrag:{Media.Ufrag}",
                _ when l.StartsWith("a=ice-pwd:", StringComparison.Ordinal) => $"a=ice-pwd:{_pwd}",
                _ when l.StartsWith("a=fingerprint:", StringComparison.Ordinal) => $"a=fingerprint:{_identity.Fingerprint}",
                "a=setup:actpass" => "a=setup:active",
                "a=sendonly" => "a=recvonly",
                "a=recvonly" => "a=sendonly",
                _ => l,
            });
        return string.Join("\r\n", lines) + "\r\n";
    }

    private static string Attribute(string sdp, string name) =>
        sdp.Split("\r\n").First(l => l.StartsWith($"a={name}:", StringComparison.Ordinal))[(name.Length + 3)..];

    public async ValueTask DisposeAsync()
    {
        Media.Dispose();
        await Socket.DisposeAsync();
    }

    [GeneratedRegex(@"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host")]
    private static partial Regex LoopbackCandidate();

    /// <summary>A section the server sends in: its VP8 payload type, then the SSRC it sends under.</summary>
    [GeneratedRegex(@"a=sendonly\r\n(?:.*\r\n)*?a=rtpmap:(\d+) VP8/90000\r\n(?:.*\r\n)*?a=ssrc:(\d+) cname:")]
    private static partial Regex OfferedTrack();
}
