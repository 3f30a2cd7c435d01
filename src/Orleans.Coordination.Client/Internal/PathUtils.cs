namespace Orleans.Coordination.Client.Internal;

/// <summary>
/// ZooKeeper's path rules (PathUtils), checked before anything is sent, and chroot translation.
/// </summary>
internal static class PathUtils
{
    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="path"/> is not a valid node path.</summary>
    public static void Validate(string path, bool sequential = false, string paramName = "path")
    {
        ArgumentNullException.ThrowIfNull(path, paramName);
        // A sequential create may end in "/": the server appends the counter, so check it as if it had one.
        if (!IsValid(sequential ? path + "1" : path, out var why))
        {
            throw new ArgumentException($"Invalid path '{path}': {why}", paramName);
        }
    }

    public static bool IsValid(string path, out string? why)
    {
        why = null;
        if (path.Length == 0)
        {
            why = "the path is empty";
            return false;
        }

        if (path[0] != '/')
        {
            why = "the path must start with '/'";
            return false;
        }

        if (path.Length == 1)
        {
            return true;
        }

        if (path[^1] == '/')
        {
            why = "the path must not end with '/'";
            return false;
        }

        var segmentStart = 1;
        for (var i = 1; i <= path.Length; i++)
        {
            if (i == path.Length || path[i] == '/')
            {
                var segment = path.AsSpan(segmentStart, i - segmentStart);
                if (segment.Length == 0)
                {
                    why = $"empty segment at index {i}";
                    return false;
                }

                if (segment is "." or "..")
                {
                    why = "relative segments ('.' and '..') are not allowed";
                    return false;
                }

                segmentStart = i + 1;
                continue;
            }

            var c = path[i];
            if (c == '\0' || c is > '\u0000' and <= '\u001f' or >= '\u007f' and <= '\u009f' or >= '\ud800' and <= '\uf8ff' or >= '\ufff0')
            {
                why = $"invalid character U+{(int)c:X4} at index {i}";
                return false;
            }
        }

        return true;
    }

    /// <summary>The server path for a client path.</summary>
    public static string Prepend(string? chroot, string clientPath)
    {
        if (chroot is null)
        {
            return clientPath;
        }

        return clientPath == "/" ? chroot : chroot + clientPath;
    }

    /// <summary>The client path for a server path; paths outside the chroot are returned unchanged.</summary>
    public static string Strip(string? chroot, string serverPath)
    {
        if (chroot is null || !serverPath.StartsWith(chroot, StringComparison.Ordinal))
        {
            return serverPath;
        }

        if (serverPath.Length == chroot.Length)
        {
            return "/";
        }

        return serverPath[chroot.Length] == '/' ? serverPath[chroot.Length..] : serverPath;
    }

    /// <summary>The path itself, then each ancestor up to "/".</summary>
    public static IEnumerable<string> SelfAndAncestors(string path)
    {
        yield return path;
        var p = path;
        while (p.Length > 1)
        {
            var slash = p.LastIndexOf('/');
            p = slash == 0 ? "/" : p[..slash];
            yield return p;
        }
    }
}
