using System.Reflection;

namespace Zvonim.Web.Settings;

/// <summary>
/// Keys under <c>Zvonim:</c> that no setting has: configuration binding ignores them silently, so a misspelt
/// <c>Zvonim__Calls__IdelTtl</c> would quietly leave the default in force. Each is named in a warning at start (with the
/// setting it most likely meant); the value is never shown, since it may be a secret.
/// </summary>
public static class UnknownSettings
{
    public static IEnumerable<string> Find(IConfiguration configuration) =>
        Walk(configuration.GetSection(ZvonimOptions.Section), typeof(ZvonimOptions));

    private static IEnumerable<string> Walk(IConfigurationSection section, Type type)
    {
        foreach (var child in section.GetChildren())
        {
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null)
            {
                yield return child.Path;
                continue;
            }
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsLeaf(propertyType) || IsList(propertyType)) continue;
            foreach (var unknown in Walk(child, propertyType)) yield return unknown;
        }
    }

    /// <summary>The known setting nearest in spelling to <paramref name="path"/>, if one is close.</summary>
    public static string? Suggest(string path)
    {
        var known = Known(ZvonimOptions.Section, typeof(ZvonimOptions)).ToList();
        var best = known.MinBy(k => Distance(k.ToLowerInvariant(), path.ToLowerInvariant()));
        return best is not null && Distance(best.ToLowerInvariant(), path.ToLowerInvariant()) <= 3 ? best : null;
    }

    private static IEnumerable<string> Known(string prefix, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var path = $"{prefix}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsLeaf(propertyType) || IsList(propertyType)) yield return path;
            else foreach (var inner in Known(path, propertyType)) yield return inner;
        }
    }

    private static bool IsLeaf(Type type) => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan)
        || type == typeof(decimal) || type == typeof(DateTimeOffset) || type == typeof(Uri);

    private static bool IsList(Type type) => type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>));

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
