using System.Security.Cryptography;

namespace Zvonim.Media.Sdp;

/// <summary>
/// ICE credentials (RFC 8839 §5.4): the username fragment and password of one side. The server makes a fresh pair
/// for every browser session; on its one UDP port, the ufrag in a STUN USERNAME says which session a packet is for.
/// </summary>
public sealed record IceCredentials(string Ufrag, string Pwd)
{
    /// <summary>ice-char: ALPHA / DIGIT / "+" / "/".</summary>
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>A random pair: 8 characters of ufrag (48 bits, more than the 24 RFC 8445 asks) and 24 of password
    /// (144 bits, more than 128).</summary>
    public static IceCredentials Generate() =>
        new(new string(RandomNumberGenerator.GetItems<char>(IceChars, 8)),
            new string(RandomNumberGenerator.GetItems<char>(IceChars, 24)));

    /// <summary>4 to 256 ice-chars.</summary>
    public static bool IsValidUfrag(string? ufrag) => IsIceChars(ufrag, 4);

    /// <summary>22 to 256 ice-chars.</summary>
    public static bool IsValidPwd(string? pwd) => IsIceChars(pwd, 22);

    private static bool IsIceChars(string? text, int minLength) =>
        text is not null && text.Length >= minLength && text.Length <= 256 && text.All(c => IceChars.Contains(c));
}
