using System.Security.Cryptography;

namespace Zvonim.Actors;

/// <summary>Nanoid-compatible ids: 21 characters of the URL-safe alphabet from a cryptographic source (~126 bits).</summary>
public static class Ids
{
    public const string Alphabet = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";
    public const int Length = 21;

    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);

    /// <summary>An id as it may appear in a message: ids come from clients and may be of any length; ours are 21.</summary>
    public static string Shorten(string id) => id.Length <= 32 ? id : string.Concat(id.AsSpan(0, 32), "…");
}
