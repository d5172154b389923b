using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using Zvonim.Bench.Load;
using Zvonim.Bench.Results;
using Zvonim.Bench.Stats;

namespace Zvonim.Bench.Scenarios;

/// <summary>
/// One direction of one call: a sender socket, a receiver socket and a message buffer stamped in place. The receiver
/// checks every message: the next expected sequence number (else lost, reordered or duplicated) and the bytes.
/// </summary>
public sealed class RelayStream(int id, BenchSocket sender, BenchSocket receiver, byte[] message, byte[] expected)
{
    private readonly byte[] _message = message;
    private readonly byte[] _expectedFrame = expected;
    private readonly int _checkedBytes = Frames.StampStart(expected);
    private long _sent;
    private long _received;
    private long _expected;

    public int Id { get; } = id;

    public BenchSocket Sender { get; } = sender;

    public BenchSocket Receiver { get; } = receiver;

    public int MessageBytes => _message.Length;

    public long Sent => Volatile.Read(ref _sent);

    public long Received => Volatile.Read(ref _received);

    /// <summary>Messages that arrived after a later one of the same stream.</summary>
    public long Reordered;

    /// <summary>Messages whose bytes were not the ones sent.</summary>
    public long Corrupted;

    /// <summary>Closed loop: at most this many messages in flight on this stream.</summary>
    public SemaphoreSlim? Window { get; set; }

    public async ValueTask SendNextAsync(CancellationToken ct)
    {
        var seq = _sent;
        Frames.Stamp(_message, seq, Stopwatch.GetTimestamp());
        Volatile.Write(ref _sent, seq + 1); // counted before it can arrive
        await Sender.SendAsync(_message, ct).ConfigureAwait(false);
    }

    /// <summary>Checks one received message; returns its one-way latency in Stopwatch ticks.</summary>
    public long OnReceived(ReadOnlySpan<byte> frame, long seq, long timestamp, long now)
    {
        // Everything before the stamp must be what the protocol says the receiver gets (the stamp itself is checked by
        // the sequence number and the latency).
        if (frame.Length != _expectedFrame.Length || !frame[.._checkedBytes].SequenceEqual(_expectedFrame.AsSpan(0, _checkedBytes))) Corrupted++;
        if (seq >= _expected) _expected = seq + 1; // a gap is a loss unless the missing ones arrive (then: reordered)
        else Reordered++;
        Volatile.Write(ref _received, _received + 1);
        Window?.Release();
        return now - timestamp;
    }
}

/// <summary>
/// The streams of a set of connected calls (A→B and B→A for each), one receive loop per socket, and the running
/// latency histogram. Scenarios start phases on it; the receive loops run until the sockets close.
/// </summary>
public sealed class Traffic
{
    private readonly List<Task> _readers = [];
    private volatile LatencyHistogram? _recording;
    private volatile bool _closing;
    private long _serverErrors;
    private long _unexpectedCloses;
    private readonly Integrity _failures = new();

    private readonly RelayProtocol _protocol;

    public Traffic(IReadOnlyList<CallPair> pairs, RelayProtocol protocol = RelayProtocol.Apiv2)
    {
        Pairs = pairs;
        _protocol = protocol;
        var streams = new List<RelayStream>();
        foreach (var pair in pairs)
        {
            streams.Add(Stream(streams.Count, pair, aToB: true));
            streams.Add(Stream(streams.Count, pair, aToB: false));
        }
        Streams = streams;
    }

    private RelayStream Stream(int id, CallPair pair, bool aToB)
    {
        var (sender, receiver) = aToB ? (pair.A, pair.B) : (pair.B, pair.A);
        if (_protocol == RelayProtocol.Apiv2)
        {
            // apiv2 relays a signalling message's bytes as they came.
            var template = Frames.IceTemplate(id);
            return new RelayStream(id, sender, receiver, template, template);
        }
        var (src, dst) = aToB ? (CallPair.PeerJsId(pair.CallId, 'a'), CallPair.PeerJsId(pair.CallId, 'b'))
            : (CallPair.PeerJsId(pair.CallId, 'b'), CallPair.PeerJsId(pair.CallId, 'a'));
        return new RelayStream(id, sender, receiver, PeerJsFrames.CandidateTemplate(id, dst), PeerJsFrames.RelayedTemplate(id, src, dst));
    }

    private bool IsServerNews(string? type) => _protocol == RelayProtocol.Apiv2 ? Frames.IsServerNews(type) : PeerJsFrames.IsServerNews(type);

    public IReadOnlyList<CallPair> Pairs { get; }

    public IReadOnlyList<RelayStream> Streams { get; }

    public long TotalSent => Streams.Sum(s => s.Sent);

    public long TotalReceived => Streams.Sum(s => s.Received);

    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    public long UnexpectedCloses => Interlocked.Read(ref _unexpectedCloses);

    /// <summary>Latencies go into <paramref name="histogram"/> while set (null: not recorded).</summary>
    public void RecordInto(LatencyHistogram? histogram) => _recording = histogram;

    public void StartReaders()
    {
        foreach (var stream in Streams) _readers.Add(Task.Run(() => ReadAsync(stream)));
    }

    /// <summary>Waits until every message sent has arrived (or <paramref name="timeout"/>).</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Streams.All(s => s.Received >= s.Sent)) return true;
            if (Volatile.Read(ref _unexpectedCloses) > 0 && Streams.All(s => s.Received >= s.Sent || s.Receiver.Socket.State != WebSocketState.Open))
                return false;
            await Task.Delay(10).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>Totals for a run: what was sent, what arrived, and every integrity failure.</summary>
    public void Fill(Integrity integrity, long sentBefore = 0, long receivedBefore = 0)
    {
        integrity.Sent = TotalSent - sentBefore;
        integrity.Received = TotalReceived - receivedBefore;
        // After a drain, a message that never arrived is lost; one that arrived more often than it was sent is a duplicate.
        integrity.Lost = Streams.Sum(s => Math.Max(0, s.Sent - s.Received));
        integrity.Duplicated = Streams.Sum(s => Math.Max(0, s.Received - s.Sent));
        integrity.Reordered = Streams.Sum(s => Interlocked.Read(ref s.Reordered));
        integrity.Corrupted = Streams.Sum(s => Interlocked.Read(ref s.Corrupted));
        integrity.ServerErrors = ServerErrors;
        integrity.UnexpectedCloses = UnexpectedCloses;
        integrity.Failures = _failures.Failures;
        foreach (var sample in _failures.FailureSamples) integrity.Sample(sample);
    }

    public void AddFailure(string message) => _failures.AddFailure(message);

    /// <summary>Closes every socket; closes from now on are expected.</summary>
    public async Task CloseAsync()
    {
        _closing = true;
        await CallPair.CloseAllAsync(Pairs).ConfigureAwait(false);
        await Task.WhenAll(_readers).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private async Task ReadAsync(RelayStream stream)
    {
        var socket = stream.Receiver;
        try
        {
            while (await socket.ReceiveAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                var frame = socket.Frame;
                if (Frames.TryReadStamp(frame, out var seq, out var timestamp))
                {
                    var latency = stream.OnReceived(frame, seq, timestamp, now);
                    _recording?.RecordTicks(latency);
                }
                else if (Frames.TypeOf(frame) is var type && !IsServerNews(type))
                {
                    Interlocked.Increment(ref _serverErrors);
                    _failures.AddFailure($"stream {stream.Id}: unexpected message {Encoding.UTF8.GetString(frame[..Math.Min(frame.Length, 200)])}");
                }
            }
            if (!_closing)
            {
                Interlocked.Increment(ref _unexpectedCloses);
                _failures.AddFailure($"stream {stream.Id}: the server closed the socket: {socket.CloseStatus} {socket.CloseStatusDescription}");
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_closing)
            {
                Interlocked.Increment(ref _unexpectedCloses);
                _failures.AddFailure($"stream {stream.Id}: socket failed: {ex.Message}");
            }
        }
    }
}
