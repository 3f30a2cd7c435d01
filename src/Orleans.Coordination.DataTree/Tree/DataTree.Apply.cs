using Orleans.Coordination.DataTree.Paths;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.DataTree.Tree;

/// <summary>The outcome of applying one op: error code, created path, resulting Stat.</summary>
public readonly record struct OpResult(ErrorCode Err, string? Path, Stat Stat)
{
    public static OpResult Fail(ErrorCode err) => new(err, null, default);
}

public sealed partial class DataTree
{
    /// <summary>
    /// Applies a committed txn. Txns were validated by prep against the same state, so they succeed;
    /// when replaying a log over a fuzzy snapshot a change may already be present, and it is then
    /// reported and skipped, which keeps replay idempotent. Returns one result per op (one for non-multi).
    /// </summary>
    public IReadOnlyList<OpResult> Apply(Transaction txn)
    {
        var h = txn.Header;
        IReadOnlyList<OpResult> results;
        if (txn.Body is MultiTxn multi)
        {
            var list = new OpResult[multi.Ops.Count];
            for (var i = 0; i < list.Length; i++)
            {
                list[i] = ApplyOne(h, multi.Ops[i]);
            }

            results = list;
        }
        else
        {
            results = [ApplyOne(h, txn.Body)];
        }

        if (h.Zxid > LastZxid)
        {
            LastZxid = h.Zxid;
        }

        return results;
    }

    private OpResult ApplyOne(TxnHeader h, TxnBody body) => body switch
    {
        CreateTxn c => ApplyCreate(h, c),
        DeleteTxn d => ApplyDelete(d.Path, h.Zxid),
        SetDataTxn s => ApplySetData(h, s),
        SetAclTxn a => ApplySetAcl(a),
        CheckTxn c => _nodes.TryGetValue(c.Path, out var n) ? new OpResult(ErrorCode.Ok, c.Path, n.ToStat()) : OpResult.Fail(ErrorCode.NoNode),
        CreateSessionTxn cs => ApplyCreateSession(h, cs),
        CloseSessionTxn => ApplyCloseSession(h),
        ErrorTxn e => OpResult.Fail(e.Err),
        _ => OpResult.Fail(ErrorCode.Unimplemented),
    };

    private OpResult ApplyCreate(TxnHeader h, CreateTxn c)
    {
        var parentPath = PathUtils.Parent(c.Path);
        if (!_nodes.TryGetValue(parentPath, out var parent))
        {
            return OpResult.Fail(ErrorCode.NoNode);
        }

        if (_nodes.ContainsKey(c.Path))
        {
            return OpResult.Fail(ErrorCode.NodeExists);
        }

        Digest -= DigestOf(parentPath, parent);
        parent.AddChild(c.Path);
        parent.Cversion = c.ParentCversion;
        parent.Pzxid = h.Zxid;
        Digest += DigestOf(parentPath, parent);

        var node = new DataNode(c.Data, AclCache.Intern(c.Acl), h.Zxid, h.Time, c.EphemeralOwner);
        _nodes[c.Path] = node;
        Digest += DigestOf(c.Path, node);
        if (EphemeralOwners.IsSession(c.EphemeralOwner))
        {
            if (!_ephemerals.TryGetValue(c.EphemeralOwner, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                _ephemerals[c.EphemeralOwner] = set;
            }

            set.Add(c.Path);
        }
        else if (EphemeralOwners.IsContainer(c.EphemeralOwner))
        {
            _containers.Add(c.Path);
        }
        else if (EphemeralOwners.IsTtl(c.EphemeralOwner))
        {
            _ttls.Add(c.Path);
        }

        Watches.NodeCreated(c.Path, node.Acl, parent.Acl, h.Zxid);
        return new OpResult(ErrorCode.Ok, c.Path, node.ToStat());
    }

    private OpResult ApplyDelete(string path, long zxid)
    {
        if (IsReserved(path) || !_nodes.TryGetValue(path, out var node))
        {
            return OpResult.Fail(ErrorCode.NoNode);
        }

        var parentPath = PathUtils.Parent(path);
        var parent = _nodes[parentPath];
        Digest -= DigestOf(path, node);
        Digest -= DigestOf(parentPath, parent);
        _nodes.Remove(path);
        parent.RemoveChild(path);
        parent.Pzxid = zxid;
        Digest += DigestOf(parentPath, parent);

        var owner = node.EphemeralOwner;
        if (EphemeralOwners.IsSession(owner))
        {
            if (_ephemerals.TryGetValue(owner, out var set) && set.Remove(path) && set.Count == 0)
            {
                _ephemerals.Remove(owner);
            }
        }
        else if (EphemeralOwners.IsContainer(owner))
        {
            _containers.Remove(path);
        }
        else if (EphemeralOwners.IsTtl(owner))
        {
            _ttls.Remove(path);
        }

        Watches.NodeDeleted(path, node.Acl, parent.Acl, zxid);
        return new OpResult(ErrorCode.Ok, path, default);
    }

    private OpResult ApplySetData(TxnHeader h, SetDataTxn s)
    {
        if (!_nodes.TryGetValue(s.Path, out var node))
        {
            return OpResult.Fail(ErrorCode.NoNode);
        }

        Digest -= DigestOf(s.Path, node);
        node.Data = s.Data;
        node.Version = s.Version;
        node.Mzxid = h.Zxid;
        node.Mtime = h.Time;
        Digest += DigestOf(s.Path, node);
        Watches.NodeDataChanged(s.Path, node.Acl, h.Zxid);
        return new OpResult(ErrorCode.Ok, s.Path, node.ToStat());
    }

    private OpResult ApplySetAcl(SetAclTxn a)
    {
        if (!_nodes.TryGetValue(a.Path, out var node))
        {
            return OpResult.Fail(ErrorCode.NoNode);
        }

        Digest -= DigestOf(a.Path, node);
        node.Acl = AclCache.Intern(a.Acl);
        node.Aversion = a.Version;
        Digest += DigestOf(a.Path, node);
        return new OpResult(ErrorCode.Ok, a.Path, node.ToStat());
    }

    private OpResult ApplyCreateSession(TxnHeader h, CreateSessionTxn cs)
    {
        _sessions[h.SessionId] = new SessionEntry(h.SessionId, cs.TimeOut, cs.Passwd);
        return new OpResult(ErrorCode.Ok, null, default);
    }

    private OpResult ApplyCloseSession(TxnHeader h)
    {
        _sessions.Remove(h.SessionId);
        if (_ephemerals.TryGetValue(h.SessionId, out var set))
        {
            // Deepest first so that no delete ever meets a child; ordinal order keeps every silo identical.
            foreach (var path in set.OrderByDescending(p => p.Length).ThenBy(p => p, StringComparer.Ordinal).ToList())
            {
                ApplyDelete(path, h.Zxid);
            }

            _ephemerals.Remove(h.SessionId);
        }

        return new OpResult(ErrorCode.Ok, null, default);
    }
}
