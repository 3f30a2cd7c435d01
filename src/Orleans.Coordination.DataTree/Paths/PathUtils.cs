namespace Orleans.Coordination.DataTree.Paths;

/// <summary>ZooKeeper path rules (PathUtils): what is a valid path, and how to split one.</summary>
public static class PathUtils
{
    /// <summary>Returns null when <paramref name="path"/> is valid, else the reason.</summary>
    public static string? Validate(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "Path length must be > 0";
        }

        if (path[0] != '/')
        {
            return "Path must start with / character";
        }

        if (path.Length == 1)
        {
            return null;
        }

        if (path[^1] == '/')
        {
            return "Path must not end with / character";
        }

        var segmentStart = 1;
        for (var i = 1; i <= path.Length; i++)
        {
            if (i < path.Length)
            {
                var c = path[i];
                if (c == 0)
                {
                    return $"null character not allowed @{i}";
                }

                if (c != '/')
                {
                    if (c is > '\u0000' and <= '\u001f' or >= '\u007f' and <= '\u009f' or >= '\ud800' and <= '\uf8ff' or >= '\ufff0')
                    {
                        return $"invalid character @{i}";
                    }

                    continue;
                }
            }

            var len = i - segmentStart;
            if (len == 0)
            {
                return $"empty node name specified @{i}";
            }

            if (len == 1 && path[segmentStart] == '.')
            {
                return $"relative paths not allowed @{i}";
            }

            if (len == 2 && path[segmentStart] == '.' && path[segmentStart + 1] == '.')
            {
                return $"relative paths not allowed @{i}";
            }

            segmentStart = i + 1;
        }

        return null;
    }

    public static bool IsValid(string? path) => Validate(path) is null;

    /// <summary>The parent of <paramref name="path"/>; "/" for a top-level node. Assumes a valid path other than "/".</summary>
    public static string Parent(string path)
    {
        var i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>The last segment of <paramref name="path"/>.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Join(string parent, string child) => parent == "/" ? "/" + child : parent + "/" + child;

    /// <summary>True when <paramref name="path"/> equals <paramref name="ancestor"/> or lies under it.</summary>
    public static bool IsSameOrUnder(string path, string ancestor) =>
        ancestor == "/" || path == ancestor || (path.Length > ancestor.Length && path.StartsWith(ancestor, StringComparison.Ordinal) && path[ancestor.Length] == '/');
}
