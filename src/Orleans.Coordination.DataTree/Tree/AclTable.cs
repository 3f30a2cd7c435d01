using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>
/// The tree's distinct ACL lists, each under a small index that node records carry instead of a reference. Lists are
/// counted by the nodes that use them and their index is reused once none does (as ZooKeeper's reference-counted
/// ACL cache), so a workload that gives each node its own ACL does not leave them behind after the nodes are gone.
/// Index 0 is always OPEN_ACL_UNSAFE. Apply thread only.
/// </summary>
internal sealed class AclTable
{
    private readonly List<IReadOnlyList<Acl>?> _lists = [Acl.OpenAclUnsafe];
    private readonly List<int> _refs = [0];
    private readonly List<string?> _keys = [null];
    private readonly Dictionary<string, int> _byKey = new(StringComparer.Ordinal);
    private readonly Stack<int> _free = new();

    public IReadOnlyList<Acl> this[int index] => _lists[index]!;

    /// <summary>Number of distinct lists in use.</summary>
    public int Count => _byKey.Count + 1;

    /// <summary>The index of <paramref name="acl"/>, counting one more user.</summary>
    public int Acquire(IReadOnlyList<Acl> acl)
    {
        if (ReferenceEquals(acl, Acl.OpenAclUnsafe) || (acl.Count == 1 && acl[0] == Acl.OpenAclUnsafe[0]))
        {
            return 0;
        }

        var key = string.Join('\n', acl.Select(a => $"{(int)a.Perms}|{a.Id.Scheme}|{a.Id.Ident}"));
        if (!_byKey.TryGetValue(key, out var index))
        {
            IReadOnlyList<Acl> copy = acl.ToArray();
            if (_free.TryPop(out index))
            {
                _lists[index] = copy;
                _keys[index] = key;
                _refs[index] = 0;
            }
            else
            {
                index = _lists.Count;
                _lists.Add(copy);
                _keys.Add(key);
                _refs.Add(0);
            }

            _byKey[key] = index;
        }

        _refs[index]++;
        return index;
    }

    /// <summary>Counts one more user of a list already in the table.</summary>
    public void AddRef(int index)
    {
        if (index != 0)
        {
            _refs[index]++;
        }
    }

    /// <summary>Counts one user fewer; a list nobody uses leaves the table.</summary>
    public void Release(int index)
    {
        if (index == 0 || --_refs[index] > 0)
        {
            return;
        }

        _byKey.Remove(_keys[index]!);
        _lists[index] = null;
        _keys[index] = null;
        _free.Push(index);
    }
}
