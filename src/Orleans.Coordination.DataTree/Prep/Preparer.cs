using Orleans.Coordination.DataTree.Acls;
using Orleans.Coordination.DataTree.Paths;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;

namespace Orleans.Coordination.DataTree.Prep;

/// <summary>Settings that change what prep accepts.</summary>
public sealed record PrepOptions(bool ExtendedTypesEnabled = true);

/// <summary>
/// The outcome of preparing a write: a txn body to stamp and commit, or an error to answer at once.
/// A failed multi carries its per-op results.
/// </summary>
public readonly record struct PrepResult(ErrorCode Err, TxnBody? Body, IReadOnlyList<MultiResult>? MultiResults = null)
{
    public bool Succeeded => Body is not null;

    public static PrepResult Fail(ErrorCode err) => new(err, null);
}

/// <summary>
/// The Prep stage: validates a write against the tree plus every change already stamped but not yet
/// applied, in the documented order of checks, and turns it into a deterministic txn body. It runs on
/// the leader's apply thread; <see cref="Applied"/> retires outstanding changes as txns are applied.
/// </summary>
public sealed class Preparer(Tree.DataTree tree, PrepOptions options)
{
    private readonly Dictionary<string, ChangeRecord> _outstanding = new(StringComparer.Ordinal);
    private readonly Queue<ChangeRecord> _order = new();
    private List<(string Path, ChangeRecord? Previous)>? _multiUndo;

    /// <summary>Number of changes stamped but not yet applied.</summary>
    public int OutstandingCount => _outstanding.Count;

    /// <summary>Retires outstanding changes made by txns up to <paramref name="zxid"/>, which are now in the tree.</summary>
    public void Applied(long zxid)
    {
        while (_order.Count > 0 && _order.Peek().Zxid <= zxid)
        {
            var r = _order.Dequeue();
            if (_outstanding.TryGetValue(r.Path, out var current) && ReferenceEquals(current, r))
            {
                _outstanding.Remove(r.Path);
            }
        }
    }

    /// <summary>Forgets every outstanding change (the txns that made them will never be applied).</summary>
    public void Reset()
    {
        _outstanding.Clear();
        _order.Clear();
    }

    /// <summary>Prepares one write request of <paramref name="type"/> for the txn that will carry <paramref name="zxid"/>.</summary>
    public PrepResult Prepare(OpCode type, IJuteRecord? request, long sessionId, IReadOnlyList<Id> authIds, long zxid)
    {
        try
        {
            return type switch
            {
                OpCode.Multi => PrepareMulti((MultiRequest)request!, sessionId, authIds, zxid),
                OpCode.CloseSession => new PrepResult(ErrorCode.Ok, CloseSession(sessionId, zxid)),
                _ => new PrepResult(ErrorCode.Ok, PrepareOne(type, request!, sessionId, authIds, zxid)),
            };
        }
        catch (PrepException e)
        {
            return PrepResult.Fail(e.Code);
        }
    }

    private PrepResult PrepareMulti(MultiRequest multi, long sessionId, IReadOnlyList<Id> authIds, long zxid)
    {
        _multiUndo = [];
        var bodies = new List<TxnBody>(multi.Ops.Count);
        try
        {
            for (var i = 0; i < multi.Ops.Count; i++)
            {
                var op = multi.Ops[i];
                try
                {
                    if (op.Type is OpCode.GetData or OpCode.GetChildren)
                    {
                        throw new PrepException(ErrorCode.MarshallingError);
                    }

                    bodies.Add(PrepareOne(op.Type, op.Request, sessionId, authIds, zxid));
                }
                catch (PrepException e)
                {
                    Undo();
                    var results = new MultiResult[multi.Ops.Count];
                    for (var j = 0; j < results.Length; j++)
                    {
                        results[j] = MultiResult.Error(j < i ? ErrorCode.Ok : j == i ? e.Code : ErrorCode.RuntimeInconsistency);
                    }

                    return new PrepResult(ErrorCode.Ok, null, results);
                }
            }

            return new PrepResult(ErrorCode.Ok, new MultiTxn(bodies));
        }
        finally
        {
            _multiUndo = null;
        }
    }

    private TxnBody PrepareOne(OpCode type, IJuteRecord request, long sessionId, IReadOnlyList<Id> authIds, long zxid) => type switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => PrepareCreate(type, (CreateRequest)request, -1, sessionId, authIds, zxid),
        OpCode.CreateTtl => PrepareCreateTtl((CreateTtlRequest)request, sessionId, authIds, zxid),
        OpCode.Delete => PrepareDelete(((DeleteRequest)request).Path, ((DeleteRequest)request).Version, authIds, zxid, checkAcl: true),
        OpCode.DeleteContainer => PrepareDeleteContainer(request, zxid),
        OpCode.SetData => PrepareSetData((SetDataRequest)request, authIds, zxid),
        OpCode.SetAcl => PrepareSetAcl((SetAclRequest)request, authIds, zxid),
        OpCode.Check => PrepareCheck((CheckVersionRequest)request, authIds),
        _ => throw new PrepException(ErrorCode.Unimplemented),
    };

    private TxnBody PrepareCreateTtl(CreateTtlRequest r, long sessionId, IReadOnlyList<Id> authIds, long zxid) =>
        PrepareCreate(OpCode.CreateTtl, new CreateRequest(r.Path, r.Data, r.Acl, r.Flags), r.Ttl, sessionId, authIds, zxid);

    private CreateTxn PrepareCreate(OpCode type, CreateRequest r, long ttl, long sessionId, IReadOnlyList<Id> authIds, long zxid)
    {
        // 1. mode, TTL and session checks
        if (!CreateModes.TryParse(r.Flags, out var mode))
        {
            throw new PrepException(ErrorCode.BadArguments);
        }

        if (type == OpCode.CreateContainer && mode != CreateMode.Container)
        {
            throw new PrepException(ErrorCode.BadArguments);
        }

        if (mode.IsTtl() && !options.ExtendedTypesEnabled)
        {
            throw new PrepException(ErrorCode.Unimplemented);
        }

        if (mode.IsTtl() ? ttl <= 0 || ttl > EphemeralOwners.MaxTtl : ttl >= 0)
        {
            throw new PrepException(ErrorCode.BadArguments);
        }

        // 2. the path has a '/' and no NUL
        var path = r.Path;
        var lastSlash = path.LastIndexOf('/');
        if (lastSlash < 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new PrepException(ErrorCode.BadArguments);
        }

        // 3. ACL fix-up
        if (AclEvaluator.FixUp(r.Acl, authIds, out var acl) != ErrorCode.Ok)
        {
            throw new PrepException(ErrorCode.InvalidAcl);
        }

        // 4. parent exists, 5. CREATE permission
        var parentPath = lastSlash == 0 ? "/" : path[..lastSlash];
        var parent = RecordFor(parentPath) ?? throw new PrepException(ErrorCode.NoNode);
        CheckAcl(parent.Acl, Perms.Create, authIds);

        // 6. sequence suffix, then full validation
        if (mode.IsSequential())
        {
            path += SequenceSuffix(parent.Cversion);
        }

        if (!PathUtils.IsValid(path))
        {
            throw new PrepException(ErrorCode.BadArguments);
        }

        // 7. exists, 8. ephemeral parent
        if (RecordFor(path) is not null)
        {
            throw new PrepException(ErrorCode.NodeExists);
        }

        if (EphemeralOwners.IsSession(parent.EphemeralOwner))
        {
            throw new PrepException(ErrorCode.NoChildrenForEphemerals);
        }

        var owner = mode switch
        {
            _ when mode.IsEphemeral() => sessionId,
            CreateMode.Container => EphemeralOwners.Container,
            _ when mode.IsTtl() => EphemeralOwners.ForTtl(ttl),
            _ => 0L,
        };
        var newCversion = unchecked(parent.Cversion + 1);
        Track(parent with { Zxid = zxid, Cversion = newCversion, NumChildren = parent.NumChildren + 1 });
        Track(new ChangeRecord(path, zxid, true, 0, 0, 0, 0, owner, acl));
        return new CreateTxn(path, r.Data, acl, owner, newCversion, type);
    }

    private DeleteTxn PrepareDelete(string path, int version, IReadOnlyList<Id> authIds, long zxid, bool checkAcl)
    {
        var lastSlash = path.LastIndexOf('/');
        if (lastSlash < 0 || path.Contains('\0', StringComparison.Ordinal) || Tree.DataTree.IsReserved(path))
        {
            throw new PrepException(ErrorCode.BadArguments);
        }

        var parentPath = lastSlash == 0 ? "/" : path[..lastSlash];
        var parent = RecordFor(parentPath) ?? throw new PrepException(ErrorCode.NoNode);
        if (checkAcl)
        {
            CheckAcl(parent.Acl, Perms.Delete, authIds);
        }

        var node = RecordFor(path) ?? throw new PrepException(ErrorCode.NoNode);
        if (version != -1 && version != node.Version)
        {
            throw new PrepException(ErrorCode.BadVersion);
        }

        if (node.NumChildren > 0)
        {
            throw new PrepException(ErrorCode.NotEmpty);
        }

        Track(parent with { Zxid = zxid, NumChildren = parent.NumChildren - 1 });
        Track(node with { Zxid = zxid, Exists = false });
        return new DeleteTxn(path);
    }

    private DeleteTxn PrepareDeleteContainer(IJuteRecord request, long zxid)
    {
        var path = request is BufferRecord b && b.Token is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : ((PathRecord)request).Path;
        return PrepareDelete(path, -1, [], zxid, checkAcl: false);
    }

    private SetDataTxn PrepareSetData(SetDataRequest r, IReadOnlyList<Id> authIds, long zxid)
    {
        ValidatePath(r.Path);
        var node = RecordFor(r.Path) ?? throw new PrepException(ErrorCode.NoNode);
        CheckAcl(node.Acl, Perms.Write, authIds);
        var newVersion = CheckAndIncrement(node.Version, r.Version);
        Track(node with { Zxid = zxid, Version = newVersion });
        return new SetDataTxn(r.Path, r.Data, newVersion);
    }

    private SetAclTxn PrepareSetAcl(SetAclRequest r, IReadOnlyList<Id> authIds, long zxid)
    {
        ValidatePath(r.Path);
        if (AclEvaluator.FixUp(r.Acl, authIds, out var acl) != ErrorCode.Ok)
        {
            throw new PrepException(ErrorCode.InvalidAcl);
        }

        var node = RecordFor(r.Path) ?? throw new PrepException(ErrorCode.NoNode);
        CheckAcl(node.Acl, Perms.Admin, authIds);
        var newVersion = CheckAndIncrement(node.Aversion, r.Version);
        Track(node with { Zxid = zxid, Aversion = newVersion, Acl = acl });
        return new SetAclTxn(r.Path, acl, newVersion);
    }

    private CheckTxn PrepareCheck(CheckVersionRequest r, IReadOnlyList<Id> authIds)
    {
        ValidatePath(r.Path);
        var node = RecordFor(r.Path) ?? throw new PrepException(ErrorCode.NoNode);
        CheckAcl(node.Acl, Perms.Read, authIds);
        if (r.Version != -1 && r.Version != node.Version)
        {
            throw new PrepException(ErrorCode.BadVersion);
        }

        return new CheckTxn(r.Path, r.Version);
    }

    private CloseSessionTxn CloseSession(long sessionId, long zxid)
    {
        // Every ephemeral of the session, applied or still outstanding, is deleted by this txn.
        var paths = new HashSet<string>(tree.EphemeralsOf(sessionId), StringComparer.Ordinal);
        foreach (var r in _outstanding.Values)
        {
            if (r.EphemeralOwner == sessionId)
            {
                paths.Add(r.Path);
            }
        }

        foreach (var path in paths)
        {
            var node = RecordFor(path);
            if (node is null || node.EphemeralOwner != sessionId)
            {
                continue;
            }

            var parent = RecordFor(PathUtils.Parent(path));
            if (parent is not null)
            {
                Track(parent with { Zxid = zxid, NumChildren = parent.NumChildren - 1 });
            }

            Track(node with { Zxid = zxid, Exists = false });
        }

        return new CloseSessionTxn();
    }

    /// <summary>Java's %010d: ten digits, or a minus sign and nine digits (a wrapped counter).</summary>
    internal static string SequenceSuffix(int cversion) => cversion < 0
        ? "-" + (-(long)cversion).ToString("D9", System.Globalization.CultureInfo.InvariantCulture)
        : cversion.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);

    private static int CheckAndIncrement(int current, int expected)
    {
        if (expected != -1 && expected != current)
        {
            throw new PrepException(ErrorCode.BadVersion);
        }

        return unchecked(current + 1);
    }

    private static void ValidatePath(string path)
    {
        if (!PathUtils.IsValid(path))
        {
            throw new PrepException(ErrorCode.BadArguments);
        }
    }

    private static void CheckAcl(IReadOnlyList<Acl> acl, Perms perm, IReadOnlyList<Id> authIds)
    {
        if (!AclEvaluator.Allows(acl, perm, authIds))
        {
            throw new PrepException(ErrorCode.NoAuth);
        }
    }

    /// <summary>The node as it will be after outstanding changes; null if it will not exist.</summary>
    private ChangeRecord? RecordFor(string path)
    {
        if (_outstanding.TryGetValue(path, out var r))
        {
            return r.Exists ? r : null;
        }

        var node = tree.Get(path);
        return node is null
            ? null
            : new ChangeRecord(path, 0, true, node.Version, node.Cversion, node.Aversion, node.NumChildren, node.EphemeralOwner, node.Acl);
    }

    private void Track(ChangeRecord record)
    {
        if (_multiUndo is not null)
        {
            _multiUndo.Add((record.Path, _outstanding.GetValueOrDefault(record.Path)));
        }

        _outstanding[record.Path] = record;
        _order.Enqueue(record);
    }

    private void Undo()
    {
        for (var i = _multiUndo!.Count - 1; i >= 0; i--)
        {
            var (path, previous) = _multiUndo[i];
            if (previous is null)
            {
                _outstanding.Remove(path);
            }
            else
            {
                _outstanding[path] = previous;
            }
        }
    }

    private sealed class PrepException(ErrorCode code) : Exception(code.ToString())
    {
        public ErrorCode Code { get; } = code;
    }
}
