using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// Shares one instance per distinct ACL list: nearly every node carries one of a handful of ACLs, and a
/// million nodes should not hold a million copies.
/// </summary>
internal static class AclCache
{
    private static readonly Dictionary<string, IReadOnlyList<Acl>> Cache = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    public static IReadOnlyList<Acl> Intern(IReadOnlyList<Acl> acl)
    {
        if (ReferenceEquals(acl, Acl.OpenAclUnsafe) || (acl.Count == 1 && acl[0] == Acl.OpenAclUnsafe[0]))
        {
            return Acl.OpenAclUnsafe;
        }

        var key = string.Join('\n', acl.Select(a => $"{(int)a.Perms}|{a.Id.Scheme}|{a.Id.Ident}"));
        lock (Gate)
        {
            if (Cache.TryGetValue(key, out var existing))
            {
                return existing;
            }

            var copy = acl.ToArray();
            if (Cache.Count < 10_000)
            {
                Cache[key] = copy;
            }

            return copy;
        }
    }
}
