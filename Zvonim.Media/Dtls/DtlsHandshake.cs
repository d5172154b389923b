using System.Runtime.ExceptionServices;
using System.Security.Authentication;
using Org.BouncyCastle.Tls;

namespace Zvonim.Media.Dtls;

/// <summary>
/// Runs BouncyCastle's server handshake, which blocks its thread from the first receive to the last, on a thread of
/// its own, and turns how it ended into an outcome a caller can act on.
/// </summary>
internal static class DtlsHandshake
{
    /// <summary>Starts the handshake. The task faults with <see cref="TimeoutException"/> when
    /// <paramref name="timeout"/> passes, <see cref="AuthenticationException"/> when the handshake fails (the client
    /// certificate refused, a fatal alert, no shared cipher suite or SRTP profile), <see cref="IOException"/> when
    /// the transport was closed under it; it is cancelled with <paramref name="cancellationToken"/>. Whatever the
    /// failure, the transport is closed.</summary>
    public static Task<(DtlsTransport Transport, DtlsResult Result)> Start(SrtpDtlsServer server,
        QueuedDatagramTransport transport, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<(DtlsTransport, DtlsResult)>(
            TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                completion.SetResult(Run(server, transport, timeout, cancellationToken));
            }
            catch (OperationCanceledException e)
            {
                completion.SetCanceled(e.CancellationToken);
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "DTLS handshake",
        };
        thread.Start();
        return completion.Task;
    }

    private static (DtlsTransport, DtlsResult) Run(SrtpDtlsServer server, QueuedDatagramTransport transport,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        DtlsTransport? dtls = null;
        Exception? failure = null;
        // Accept blocks only in the transport's receive, and closing the transport ends that receive at once:
        // so closing it is how a timeout or a cancellation stops this thread.
        using (stop.Token.Register(transport.Close))
        {
            try
            {
                dtls = new DtlsServerProtocol().Accept(server, transport);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }
        // The registration is gone: a timer firing now changes nothing, and a handshake that completed with its
        // transport open stands.
        if (dtls is not null && server.Result is not null && !transport.IsClosed)
            return (dtls, server.Result);

        dtls?.Close();
        transport.Close();
        if (server.CertificateRefused)
            throw new AuthenticationException(
                "The DTLS client's certificate is missing or does not match the fingerprint in its SDP.", failure);
        cancellationToken.ThrowIfCancellationRequested();
        if (timer.IsCancellationRequested)
            throw new TimeoutException($"The DTLS handshake did not complete within {timeout}.");
        if (failure is TlsException or null)
            throw new AuthenticationException("The DTLS handshake failed.", failure);
        // What is left is the transport closed under the handshake (the session disposed).
        ExceptionDispatchInfo.Throw(failure);
        throw failure; // unreachable: for the compiler, which does not know Throw never returns here
    }
}
