namespace Orleans.Coordination.Cli.Shell;

/// <summary>Path checks with Apache ZooKeeper's PathUtils messages, so that errors read as zkCli's do.</summary>
internal static class ZkPaths
{
    /// <summary>Throws <see cref="CliException"/> with zkCli's wording when <paramref name="path"/> is not a valid node path.</summary>
    public static void Validate(string path, bool sequential = false)
    {
        if (Problem(sequential ? path + "1" : path) is { } problem)
        {
            throw new CliException(problem);
        }
    }

    /// <summary>The message ZooKeeper gives for an invalid path, or null when the path is valid.</summary>
    public static string? Problem(string path)
    {
        if (path.Length == 0)
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

        string? reason = null;
        var last = '/';
        for (var i = 1; i < path.Length; last = path[i], i++)
        {
            var c = path[i];
            if (c == '\0')
            {
                reason = $"null character not allowed @{i}";
            }
            else if (c == '/' && last == '/')
            {
                reason = $"empty node name specified @{i}";
            }
            else if (c == '.' && last == '.')
            {
                if (path[i - 2] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                {
                    reason = $"relative paths not allowed @{i}";
                }
            }
            else if (c == '.')
            {
                if (path[i - 1] == '/' && (i + 1 == path.Length || path[i + 1] == '/'))
                {
                    reason = $"relative paths not allowed @{i}";
                }
            }
            else if (c is > '\u0000' and <= '\u001f' or >= '\u007f' and <= '\u009f' or >= '\ud800' and <= '\uf8ff' or >= '\ufff0')
            {
                reason = $"invalid character @{i}";
            }

            if (reason is not null)
            {
                return $"Invalid path string \"{path}\" caused by {reason}";
            }
        }

        return null;
    }

    /// <summary>The path of <paramref name="child"/> under <paramref name="parent"/>.</summary>
    public static string Child(string parent, string child) => parent == "/" ? "/" + child : parent + "/" + child;
}
