namespace Zvonim.Media.Sfu;

/// <summary>What a session's owner (its actor) hears from the media side. Called on engine threads: post to a mailbox.</summary>
public interface IMediaPeerListener
{
    /// <summary>DTLS is done and SRTP keys are set: media flows.</summary>
    void Connected(string cipherSuite, string srtpProfile);

    /// <summary>The connection could not be made or is over (handshake failed, timed out, the browser closed it).</summary>
    void Failed(string reason);

    /// <summary>Nothing came from the browser (no ICE consent check, no media) for the inactivity timeout: it is gone.
    /// Told once.</summary>
    void Inactive();
}
