using System.Text;
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
        CheckTxn c => Find(c.Path) is { } n ? new OpResult(ErrorCode.Ok, c.Path, StatOf(n)) : OpResult.Fail(ErrorCode.NoNode),
        CreateSessionTxn cs => ApplyCreateSession(h, cs),
        CloseSessionTxn => ApplyCloseSession(h),
        ErrorTxn e => OpResult.Fail(e.Err),
        _ => OpResult.Fail(ErrorCode.Unimplemented),
    };

    private OpResult ApplyCreate(TxnHeader h, CreateTxn c)
    {
        var path = Encoding.UTF8.GetBytes(c.Path);
        var hash = NodeRecord.Hash(path);
        var parentPath = ParentOf(path);
        var parentHash = NodeRecord.Hash(parentPath);
        var parentSlot = _nodes.Find(parentPath, parentHash);
        if (parentSlot < 0)
        {
            return OpResult.Fail(ErrorCode.NoNode);
        }

        var parent = _nodes.SlotValue(parentSlot) as NodeBox;
        if (parent?.Children.Find(path, hash) >= 0 || (parent is null && _nodes.Find(path, hash) >= 0))
        {
            return OpResult.Fail(ErrorCode.NodeExists);
        }

        parent ??= BoxAt(parentSlot, parentPath, parentHash);
        Digest -= DigestOf(parent);
        parent.Cversion = c.ParentCversion;
        parent.Pzxid = h.Zxid;

        var f = new NodeFields
        {
            Czxid = h.Zxid,
            Mzxid = h.Zxid,
            Pzxid = h.Zxid,
            Ctime = h.Time,
            Mtime = h.Time,
            EphemeralOwner = c.EphemeralOwner,
            AclIndex = _acls.Acquire(c.Acl),
            DataIsNull = c.Data is null,
        };
        object node = c.Data is { Length: > NodeBox.InlineLimit }
            ? new NodeBox(NodeRecord.Build(f, path, []), f.Pzxid, f.Cversion) { Data = c.Data }
            : NodeRecord.Build(f, path, c.Data);
        _nodes.Add(node, hash);
        parent.Children.Add(node, hash);
        Digest += DigestOf(parent);
        Digest += DigestOf(node);
        TrackOwner(c.EphemeralOwner, c.Path);
        Watches.NodeCreated(c.Path, _acls[f.AclIndex], _acls[NodeRecord.AclIndex(parent.Record)], h.Zxid);
        return new OpResult(ErrorCode.Ok, c.Path, StatOf(node));
    }

    /// <summary>Files a new node under its owner: a session's ephemerals, the containers or the TTL nodes.</summary>
    private void TrackOwner(long owner, string path)
    {
        if (EphemeralOwners.IsSession(owner))
        {
            if (!_ephemerals.TryGetValue(owner, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                _ephemerals[owner] = set;
            }

            set.Add(path);
        }
        else if (EphemeralOwners.IsContainer(owner))
        {
            _containers.Add(path);
        }
        else if (EphemeralOwners.IsTtl(owner))
        {
            _ttls.Add(path);
        }
    }

    private OpResult ApplyDelete(string path, long zxid)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        var hash = NodeRecord.Hash(bytes);
        if (IsReserved(path) || _nodes.Get(bytes, hash) is not { } node)
        {
            return OpResult.Fail(ErrorCode.NoNode);
        }

        var parentPath = ParentOf(bytes);
        var parent = BoxAt(parentPath, NodeRecord.Hash(parentPath))!;
        var f = FieldsOf(node);
        Digest -= DigestOf(node);
        Digest -= DigestOf(parent);
        _nodes.Remove(bytes, hash);
        parent.Children.Remove(bytes, hash);
        parent.Pzxid = zxid;
        Digest += DigestOf(parent);

        var owner = f.EphemeralOwner;
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

        Watches.NodeDeleted(path, _acls[f.AclIndex], _acls[NodeRecord.AclIndex(parent.Record)], zxid);
        _acls.Release(f.AclIndex);
        return new OpResult(ErrorCode.Ok, path, default);
    }

    private OpResult ApplySetData(TxnHeader h, SetDataTxn s)
    {
        var bytes = Encoding.UTF8.GetBytes(s.Path);
        var hash = NodeRecord.Hash(bytes);
        var slot = _nodes.Find(bytes, hash);
        if (slot < 0)
        {
            return OpResult.Fail(ErrorCode.NoNode);
        }

        var node = _nodes.SlotValue(slot);
        var f = FieldsOf(node);
        Digest -= DigestOf(node);
        f.Version = s.Version;
        f.Mzxid = h.Zxid;
        f.Mtime = h.Time;
        f.DataIsNull = s.Data is null;
        node = Rewrite(node, slot, bytes, hash, f, s.Data, default);
        Digest += DigestOf(node);
        Watches.NodeDataChanged(s.Path, _acls[f.AclIndex], h.Zxid);
        return new OpResult(ErrorCode.Ok, s.Path, StatOf(node));
    }

    private OpResult ApplySetAcl(SetAclTxn a)
    {
        var bytes = Encoding.UTF8.GetBytes(a.Path);
        var hash = NodeRecord.Hash(bytes);
        var slot = _nodes.Find(bytes, hash);
        if (slot < 0)
        {
            return OpResult.Fail(ErrorCode.NoNode);
        }

        var node = _nodes.SlotValue(slot);
        var f = FieldsOf(node);
        Digest -= DigestOf(node);
        var old = f.AclIndex;
        f.AclIndex = _acls.Acquire(a.Acl);
        _acls.Release(old);
        f.Aversion = a.Version;
        node = node is NodeBox { Data: { } external }
            ? Rewrite(node, slot, bytes, hash, f, external, default)
            : Rewrite(node, slot, bytes, hash, f, null, NodeTable.RecordOf(node).AsSpan(f.DataStart));
        Digest += DigestOf(node);
        return new OpResult(ErrorCode.Ok, a.Path, StatOf(node));
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
