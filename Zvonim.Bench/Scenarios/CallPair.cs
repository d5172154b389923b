using Zvonim.Bench.Load;

namespace Zvonim.Bench.Scenarios;

/// <summary>Two connected participants of one call, admitted and aware of each other.</summary>
public sealed class CallPair(string callId, BenchSocket a, BenchSocket b)
{
    public string CallId { get; } = callId;

    /// <summary>The creator.</summary>
    public BenchSocket A { get; } = a;

    /// <summary>The joiner.</summary>
    public BenchSocket B { get; } = b;

    /// <summary>Create, connect A (until its state), join, connect B (until its state), and wait for A's join: from
    /// then on each side's messages reach the other directly.</summary>
    public static async Task<CallPair> ConnectAsync(BenchClient client, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var (callId, peerA) = await client.CreateCallAsync(deadline.Token).ConfigureAwait(false);
        BenchSocket? a = null, b = null;
        try
        {
            a = await client.ConnectAsync(callId, peerA, deadline.Token).ConfigureAwait(false);
            await a.ExpectAsync("state", deadline.Token).ConfigureAwait(false);
            var peerB = await client.JoinCallAsync(callId, deadline.Token).ConfigureAwait(false);
            b = await client.ConnectAsync(callId, peerB, deadline.Token, joiner: true).ConfigureAwait(false);
            await b.ExpectAsync("state", deadline.Token).ConfigureAwait(false);
            await a.ExpectAsync("join", deadline.Token).ConfigureAwait(false);
            return new CallPair(callId, a, b);
        }
        catch
        {
            a?.Dispose();
            b?.Dispose();
            throw;
        }
    }

    /// <summary>The PeerJS server's way to a pair: no call to create, just two ids of our choosing, each socket
    /// registered (its OPEN) before the pair counts as connected, so neither side's first message is queued for an
    /// id that is not there yet.</summary>
    public static async Task<CallPair> ConnectPeerJsAsync(BenchClient client, int index, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        var callId = $"bench-{index}";
        BenchSocket? a = null, b = null;
        try
        {
            a = await client.ConnectAsync(PeerJsFrames.SocketPathAndQuery(PeerJsId(callId, 'a'), "t" + index), deadline.Token).ConfigureAwait(false);
            await a.ExpectAsync("OPEN", deadline.Token).ConfigureAwait(false);
            b = await client.ConnectAsync(PeerJsFrames.SocketPathAndQuery(PeerJsId(callId, 'b'), "t" + index), deadline.Token).ConfigureAwait(false);
            await b.ExpectAsync("OPEN", deadline.Token).ConfigureAwait(false);
            return new CallPair(callId, a, b);
        }
        catch
        {
            a?.Dispose();
            b?.Dispose();
            throw;
        }
    }

    /// <summary>The PeerJS id of side <paramref name="side"/> ('a' or 'b') of a pair from <see cref="ConnectPeerJsAsync"/>.</summary>
    public static string PeerJsId(string callId, char side) => $"{callId}-{side}";

    /// <summary>Connects <paramref name="count"/> calls, <paramref name="parallel"/> at a time.</summary>
    public static Task<List<CallPair>> ConnectManyAsync(BenchClient client, int count, int parallel, Action<int>? onConnected, CancellationToken ct) =>
        ConnectManyAsync(count, parallel, (_, token) => ConnectAsync(client, TimeSpan.FromSeconds(30), token), onConnected, ct);

    /// <summary>Connects <paramref name="count"/> pairs with <paramref name="connect"/> (given the pair's index),
    /// <paramref name="parallel"/> at a time.</summary>
    public static async Task<List<CallPair>> ConnectManyAsync(int count, int parallel, Func<int, CancellationToken, Task<CallPair>> connect,
        Action<int>? onConnected, CancellationToken ct)
    {
        var pairs = new CallPair?[count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel), CancellationToken = ct },
            async (i, token) =>
            {
                pairs[i] = await connect(i, token).ConfigureAwait(false);
                onConnected?.Invoke(Interlocked.Increment(ref done));
            }).ConfigureAwait(false);
        return [.. pairs.Select(p => p!)];
    }

    public static async Task CloseAllAsync(IEnumerable<CallPair> pairs, int parallel = 256)
    {
        await Parallel.ForEachAsync(pairs.SelectMany(p => new[] { p.A, p.B }), new ParallelOptions { MaxDegreeOfParallelism = parallel },
            async (socket, _) => await socket.CloseQuietlyAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false)).ConfigureAwait(false);
    }
}
