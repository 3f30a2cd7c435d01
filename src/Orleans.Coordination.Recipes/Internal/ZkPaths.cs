using System.Globalization;

namespace Orleans.Coordination.Recipes.Internal;

/// <summary>Path and sequential-name helpers shared by the recipes.</summary>
internal static class ZkPaths
{
    /// <summary>Digits the server appends to a sequential node's name.</summary>
    public const int SequenceDigits = 10;

    public static string Join(string parent, string child) => parent == "/" ? "/" + child : parent + "/" + child;

    public static string NodeName(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>The server-assigned sequence of a sequential node's name (its last ten digits), or -1 when it has none.</summary>
    public static long Sequence(string name)
    {
        if (name.Length < SequenceDigits)
        {
            return -1;
        }

        return long.TryParse(name.AsSpan(name.Length - SequenceDigits), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var sequence) ? sequence : -1;
    }

    /// <summary>The children whose name contains one of <paramref name="markers"/>, ordered by their sequence.</summary>
    public static List<string> SortBySequence(IEnumerable<string> children, params string[] markers) =>
        [.. children
            .Where(c => markers.Any(m => c.Contains(m, StringComparison.Ordinal)) && Sequence(c) >= 0)
            .OrderBy(Sequence)
            .ThenBy(c => c, StringComparer.Ordinal)];

    /// <summary>Checks that <paramref name="path"/> is an absolute node path.</summary>
    public static string Validate(string path, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(path, paramName);
        if (path[0] != '/' || (path.Length > 1 && path[^1] == '/'))
        {
            throw new ArgumentException($"'{path}' is not an absolute node path", paramName);
        }

        return path;
    }
}
