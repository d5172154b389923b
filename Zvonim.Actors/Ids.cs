using System.Security.Cryptography;

namespace Zvonim.Actors;

/// <summary>Nanoid-compatible ids: 21 characters of the URL-safe alphabet from a cryptographic source (~126 bits).</summary>
public static class Ids
{
    public const string Alphabet = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict";
    public const int Length = 21;

    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);
}
