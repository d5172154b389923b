using System.Security.Cryptography;

namespace Zvonim.Media.Ice;

/// <summary>
/// A session's local ICE username fragment and password (a=ice-ufrag, a=ice-pwd), made of ice-chars
/// (ALPHA / DIGIT / "+" / "/", RFC 8839 §5.4).
/// </summary>
/// <param name="Ufrag">8 characters: 48 bits, well over the 24 RFC 8839 asks for, and unique enough that a shared UDP
/// port can find a session by it (<see cref="UsernameIndex"/>).</param>
/// <param name="Pwd">24 characters: 144 bits, over the 128 RFC 8839 asks for; it keys MESSAGE-INTEGRITY, so it is what
/// stops anyone who has not seen the SDP from passing connectivity checks.</param>
public sealed record IceCredentials(string Ufrag, string Pwd)
{
    public const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    public const int UfragLength = 8;
    public const int PwdLength = 24;

    public static IceCredentials Create() =>
        new(RandomNumberGenerator.GetString(Alphabet, UfragLength), RandomNumberGenerator.GetString(Alphabet, PwdLength));

    /// <summary>Without the password: a record would print it, and credentials end up in logs.</summary>
    public override string ToString() => $"IceCredentials {{ Ufrag = {Ufrag} }}";
}
