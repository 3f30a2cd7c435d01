using Microsoft.Extensions.Logging;
using Orleans.Coordination.Client.Internal;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client;

public sealed partial class CoordinationClient
{
    /// <summary>
    /// Creates a node and returns its path (with the sequence suffix for sequential modes). <paramref name="acl"/>
    /// defaults to <see cref="Acl.OpenAclUnsafe"/>. TTL modes need <paramref name="ttl"/> in milliseconds and a
    /// server with extended types enabled. Throws <see cref="NodeExistsException"/>, <see cref="NoNodeException"/>
    /// (no parent), <see cref="NoChildrenForEphemeralsException"/>, <see cref="NoAuthException"/>, ...
    /// </summary>
    public Task<string> CreateAsync(string path, byte[]? data, IReadOnlyList<Acl>? acl = null, CreateMode mode = CreateMode.Persistent, long? ttl = null, CancellationToken cancellationToken = default)
    {
        var (op, request) = BuildCreate(path, data, acl, mode, ttl, withStat: false);
        return op == OpCode.Create
            ? SubmitAsync(op, request, path, (ref JuteReader r) => ToClientPath(PathRecord.Read(ref r).Path), cancellationToken)
            : SubmitAsync(op, request, path, (ref JuteReader r) => ToClientPath(Create2Response.Read(ref r).Path), cancellationToken);
    }

    /// <summary>As <see cref="CreateAsync"/>, but also returns the new node's Stat (create2, createContainer or createTTL on the wire).</summary>
    public Task<CreateResult> CreateWithStatAsync(string path, byte[]? data, IReadOnlyList<Acl>? acl = null, CreateMode mode = CreateMode.Persistent, long? ttl = null, CancellationToken cancellationToken = default)
    {
        var (op, request) = BuildCreate(path, data, acl, mode, ttl, withStat: true);
        return SubmitAsync(op, request, path, (ref JuteReader r) =>
        {
            var response = Create2Response.Read(ref r);
            return new CreateResult(ToClientPath(response.Path), response.Stat);
        }, cancellationToken);
    }

    /// <summary>
    /// Creates every missing node of <paramref name="path"/> (persistent, empty, with <paramref name="acl"/>);
    /// nodes that exist already are left alone.
    /// </summary>
    public async Task EnsurePathAsync(string path, IReadOnlyList<Acl>? acl = null, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        if (path == "/" || await ExistsAsync(path, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        var ancestors = PathUtils.SelfAndAncestors(path).Where(p => p != "/").Reverse();
        foreach (var p in ancestors)
        {
            try
            {
                await CreateAsync(p, null, acl, CreateMode.Persistent, null, cancellationToken).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                // Someone else made it, or it was there.
            }
        }
    }

    /// <summary>Deletes a node; <paramref name="version"/> -1 matches any version. Throws <see cref="NoNodeException"/>, <see cref="BadVersionException"/>, <see cref="NotEmptyException"/>, ...</summary>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        return SubmitAsync(OpCode.Delete, new DeleteRequest(ToServerPath(path), version), path, static (ref JuteReader _) => true, cancellationToken);
    }

    /// <summary>Deletes a node and everything below it (children first); a node that vanished meanwhile is fine.</summary>
    public async Task DeleteRecursiveAsync(string path, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        IReadOnlyList<string> children;
        try
        {
            children = await GetChildrenAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return;
        }

        foreach (var child in children)
        {
            await DeleteRecursiveAsync(path == "/" ? "/" + child : path + "/" + child, cancellationToken).ConfigureAwait(false);
        }

        if (path == "/")
        {
            return;
        }

        try
        {
            await DeleteAsync(path, -1, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            // Deleted concurrently.
        }
    }

    /// <summary>The node's Stat, or null when it does not exist.</summary>
    public Task<Stat?> ExistsAsync(string path, CancellationToken cancellationToken = default) => ExistsCoreAsync(path, null, cancellationToken);

    /// <summary>
    /// The node's Stat or null, leaving a one-shot watch that calls <paramref name="watcher"/> (on the event thread)
    /// with NodeCreated when the node did not exist, or NodeDataChanged / NodeDeleted when it did.
    /// </summary>
    public Task<Stat?> ExistsAsync(string path, Action<WatchEvent> watcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return ExistsCoreAsync(path, new CallbackWatcher(watcher, _events), cancellationToken);
    }

    /// <summary>The node's Stat or null, with a one-shot watch as a task (see <see cref="WatchedExists"/>).</summary>
    public async Task<WatchedExists> WatchExistsAsync(string path, CancellationToken cancellationToken = default)
    {
        var watcher = new TaskWatcher();
        var stat = await ExistsCoreAsync(path, watcher, cancellationToken).ConfigureAwait(false);
        return new WatchedExists(stat, watcher.Task);
    }

    /// <summary>The node's data and Stat. Throws <see cref="NoNodeException"/> when it does not exist.</summary>
    public Task<DataResult> GetDataAsync(string path, CancellationToken cancellationToken = default) => GetDataCoreAsync(path, null, cancellationToken);

    /// <summary>
    /// The node's data and Stat, leaving a one-shot watch that calls <paramref name="watcher"/> (on the event thread)
    /// with NodeDataChanged or NodeDeleted. No watch is left when the node does not exist.
    /// </summary>
    public Task<DataResult> GetDataAsync(string path, Action<WatchEvent> watcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return GetDataCoreAsync(path, new CallbackWatcher(watcher, _events), cancellationToken);
    }

    /// <summary>The node's data and Stat with a one-shot watch as a task (see <see cref="WatchedData"/>).</summary>
    public async Task<WatchedData> WatchDataAsync(string path, CancellationToken cancellationToken = default)
    {
        var watcher = new TaskWatcher();
        var result = await GetDataCoreAsync(path, watcher, cancellationToken).ConfigureAwait(false);
        return new WatchedData(result.Data, result.Stat, watcher.Task);
    }

    /// <summary>Replaces the node's data; <paramref name="version"/> -1 matches any version. Returns the new Stat.</summary>
    public Task<Stat> SetDataAsync(string path, byte[]? data, int version = -1, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        return SubmitAsync(OpCode.SetData, new SetDataRequest(ToServerPath(path), data, version), path, static (ref JuteReader r) => Stat.Read(ref r), cancellationToken);
    }

    /// <summary>The node's ACL and Stat.</summary>
    public Task<AclResult> GetAclAsync(string path, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        return SubmitAsync(OpCode.GetAcl, new PathRecord(ToServerPath(path)), path, static (ref JuteReader r) =>
        {
            var response = GetAclResponse.Read(ref r);
            return new AclResult(response.Acl, response.Stat);
        }, cancellationToken);
    }

    /// <summary>Replaces the node's ACL; <paramref name="version"/> is checked against the ACL version (aversion). Returns the new Stat.</summary>
    public Task<Stat> SetAclAsync(string path, IReadOnlyList<Acl> acl, int version = -1, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        ArgumentNullException.ThrowIfNull(acl);
        return SubmitAsync(OpCode.SetAcl, new SetAclRequest(ToServerPath(path), acl, version), path, static (ref JuteReader r) => Stat.Read(ref r), cancellationToken);
    }

    /// <summary>The node's child names (not paths), in no particular order.</summary>
    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, CancellationToken cancellationToken = default) => GetChildrenCoreAsync(path, null, cancellationToken);

    /// <summary>The node's child names, leaving a one-shot watch that calls <paramref name="watcher"/> with NodeChildrenChanged or NodeDeleted.</summary>
    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, Action<WatchEvent> watcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return GetChildrenCoreAsync(path, new CallbackWatcher(watcher, _events), cancellationToken);
    }

    /// <summary>The node's child names and its Stat (getChildren2).</summary>
    public Task<ChildrenResult> GetChildrenWithStatAsync(string path, CancellationToken cancellationToken = default) => GetChildren2CoreAsync(path, null, cancellationToken);

    /// <summary>The node's child names and Stat, leaving a one-shot watch that calls <paramref name="watcher"/>.</summary>
    public Task<ChildrenResult> GetChildrenWithStatAsync(string path, Action<WatchEvent> watcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return GetChildren2CoreAsync(path, new CallbackWatcher(watcher, _events), cancellationToken);
    }

    /// <summary>The node's child names and Stat with a one-shot watch as a task (see <see cref="WatchedChildren"/>).</summary>
    public async Task<WatchedChildren> WatchChildrenAsync(string path, CancellationToken cancellationToken = default)
    {
        var watcher = new TaskWatcher();
        var result = await GetChildren2CoreAsync(path, watcher, cancellationToken).ConfigureAwait(false);
        return new WatchedChildren(result.Children, result.Stat, watcher.Task);
    }

    /// <summary>The number of all descendants of the node (children, grandchildren, ...).</summary>
    public Task<int> GetAllChildrenNumberAsync(string path, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        return SubmitAsync(OpCode.GetAllChildrenNumber, new PathRecord(ToServerPath(path)), path, static (ref JuteReader r) => CountResponse.Read(ref r).TotalNumber, cancellationToken);
    }

    /// <summary>The paths of this session's ephemeral nodes under <paramref name="prefixPath"/> ("/" for all), chroot stripped.</summary>
    public Task<IReadOnlyList<string>> GetEphemeralsAsync(string prefixPath = "/", CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(prefixPath, paramName: nameof(prefixPath));
        return SubmitAsync(OpCode.GetEphemerals, new PathRecord(ToServerPath(prefixPath)), prefixPath, (ref JuteReader r) =>
            (IReadOnlyList<string>)[.. StringListResponse.Read(ref r).Items.Select(ToClientPath)], cancellationToken);
    }

    /// <summary>
    /// Waits until the server this client is connected to has caught up with the leader, so that a following
    /// read sees every write committed before the sync.
    /// </summary>
    public Task SyncAsync(string path, CancellationToken cancellationToken = default)
    {
        PathUtils.Validate(path);
        return SubmitAsync(OpCode.Sync, new PathRecord(ToServerPath(path)), path, static (ref JuteReader r) => PathRecord.Read(ref r), cancellationToken);
    }

    /// <summary>
    /// Adds credentials to the session (e.g. scheme "digest" with "user:password" bytes). They are kept and sent
    /// again on every reconnect. Throws <see cref="AuthFailedException"/> when the server rejects them (they are then
    /// forgotten; the server drops the connection and the client reconnects without them).
    /// </summary>
    public async Task AddAuthAsync(string scheme, byte[] auth, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(auth);
        var entry = (scheme, auth.ToArray());
        lock (_authInfo)
        {
            _authInfo.Add(entry);
        }

        try
        {
            await SubmitAsync(OpCode.Auth, new AuthPacket(0, scheme, entry.Item2), null, static (ref JuteReader _) => true, cancellationToken, kind: PacketKind.Auth).ConfigureAwait(false);
        }
        catch (ConnectionLossException)
        {
            // Stored: the next connection sends it before anything else.
        }
        catch (AuthFailedException)
        {
            lock (_authInfo)
            {
                _authInfo.Remove(entry);
            }

            throw;
        }
    }

    /// <summary>The identities the server associates with this session (e.g. ("ip", "127.0.0.1"), ("digest", "bob")).</summary>
    public Task<IReadOnlyList<ClientInfo>> WhoAmIAsync(CancellationToken cancellationToken = default) =>
        SubmitAsync(OpCode.WhoAmI, null, null, static (ref JuteReader r) => WhoAmIResponse.Read(ref r).ClientInfo, cancellationToken);

    /// <summary>Starts an atomic transaction; see <see cref="Transaction"/>.</summary>
    public Transaction Transaction() => new(this);

    /// <summary>
    /// Applies <paramref name="ops"/> (create, delete, setData, check) atomically. Returns one result per op;
    /// when one fails nothing is applied and the <see cref="KeeperException"/> for its code is thrown with
    /// <see cref="KeeperException.FailedOperationIndex"/>, <see cref="KeeperException.Path"/> and
    /// <see cref="KeeperException.OperationResults"/> set.
    /// </summary>
    public async Task<IReadOnlyList<OpResult>> MultiAsync(IEnumerable<Op> ops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var list = ops.ToList();
        var request = new MultiRequest([.. list.Select(ToMultiOp)]);
        var response = await SubmitAsync(OpCode.Multi, request, null, static (ref JuteReader r) => MultiResponse.Read(ref r), cancellationToken).ConfigureAwait(false);
        var results = ToOpResults(response);
        if (results.Count != list.Count)
        {
            throw new KeeperException(ErrorCode.MarshallingError, message: $"multi returned {results.Count} results for {list.Count} operations");
        }

        for (var i = 0; i < results.Count; i++)
        {
            if (results[i] is OpResult.Error { Code: not ErrorCode.Ok and not ErrorCode.RuntimeInconsistency } error)
            {
                var exception = KeeperException.Create(error.Code, list[i].Path);
                exception.FailedOperationIndex = i;
                exception.OperationResults = results;
                throw exception;
            }
        }

        return results;
    }

    /// <summary>
    /// Runs <see cref="Op.GetData"/> and <see cref="Op.GetChildren"/> operations in one round trip. Not atomic:
    /// each result is either the value or an <see cref="OpResult.Error"/> (e.g. NoNode), and nothing is thrown for those.
    /// </summary>
    public async Task<IReadOnlyList<OpResult>> MultiReadAsync(IEnumerable<Op> ops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var list = ops.ToList();
        foreach (var op in list)
        {
            if (op is not (Op.GetData or Op.GetChildren))
            {
                throw new ArgumentException($"multiRead takes only GetData and GetChildren, not {op.GetType().Name}", nameof(ops));
            }
        }

        var request = new MultiRequest([.. list.Select(ToMultiOp)]);
        var response = await SubmitAsync(OpCode.MultiRead, request, null, static (ref JuteReader r) => MultiResponse.Read(ref r), cancellationToken).ConfigureAwait(false);
        return ToOpResults(response);
    }

    /// <summary>
    /// Runs <paramref name="operation"/>, retrying with backoff while it fails with a retryable error
    /// (<see cref="RetryPolicy.IsRetryable"/>; ConnectionLoss above all). Use it only for idempotent operations:
    /// a write that failed with ConnectionLoss may have been applied. The policy defaults to <see cref="CoordinationClientOptions.Retry"/>.
    /// </summary>
    public async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> operation, RetryPolicy? policy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        policy ??= _defaultRetry;
        for (var retry = 0; ; retry++)
        {
            try
            {
                return await operation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (retry < policy.MaxRetries && policy.IsRetryable(e) && !cancellationToken.IsCancellationRequested)
            {
                var delay = policy.GetDelay(retry);
                _logger.LogDebug("Retry {Retry} of {MaxRetries} in {Delay} after {Error}", retry + 1, policy.MaxRetries, delay, e.Message);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>As <see cref="RetryAsync{T}"/>, for operations without a result.</summary>
    public Task RetryAsync(Func<CancellationToken, Task> operation, RetryPolicy? policy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return RetryAsync(async ct =>
        {
            await operation(ct).ConfigureAwait(false);
            return true;
        }, policy, cancellationToken);
    }

    private Task<Stat?> ExistsCoreAsync(string path, Watcher? watcher, CancellationToken cancellationToken)
    {
        PathUtils.Validate(path);
        var registration = watcher is null ? null : new WatchRegistration(_watches, path, watcher, WatchTable.Data, WatchTable.Exist);
        return SubmitAsync<Stat?>(
            OpCode.Exists,
            new PathWatchRequest(ToServerPath(path), watcher is not null),
            path,
            static (ref JuteReader r) => Stat.Read(ref r),
            cancellationToken,
            registration,
            static (ErrorCode code, out Stat? value) =>
            {
                value = null;
                return code == ErrorCode.NoNode;
            });
    }

    private Task<DataResult> GetDataCoreAsync(string path, Watcher? watcher, CancellationToken cancellationToken)
    {
        PathUtils.Validate(path);
        var registration = watcher is null ? null : new WatchRegistration(_watches, path, watcher, WatchTable.Data);
        return SubmitAsync(OpCode.GetData, new PathWatchRequest(ToServerPath(path), watcher is not null), path, static (ref JuteReader r) =>
        {
            var response = GetDataResponse.Read(ref r);
            return new DataResult(response.Data ?? [], response.Stat);
        }, cancellationToken, registration);
    }

    private Task<IReadOnlyList<string>> GetChildrenCoreAsync(string path, Watcher? watcher, CancellationToken cancellationToken)
    {
        PathUtils.Validate(path);
        var registration = watcher is null ? null : new WatchRegistration(_watches, path, watcher, WatchTable.Child);
        return SubmitAsync(OpCode.GetChildren, new PathWatchRequest(ToServerPath(path), watcher is not null), path, static (ref JuteReader r) => StringListResponse.Read(ref r).Items, cancellationToken, registration);
    }

    private Task<ChildrenResult> GetChildren2CoreAsync(string path, Watcher? watcher, CancellationToken cancellationToken)
    {
        PathUtils.Validate(path);
        var registration = watcher is null ? null : new WatchRegistration(_watches, path, watcher, WatchTable.Child);
        return SubmitAsync(OpCode.GetChildren2, new PathWatchRequest(ToServerPath(path), watcher is not null), path, static (ref JuteReader r) =>
        {
            var response = GetChildren2Response.Read(ref r);
            return new ChildrenResult(response.Children, response.Stat);
        }, cancellationToken, registration);
    }

    private (OpCode Op, IJuteRecord Request) BuildCreate(string path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode, long? ttl, bool withStat)
    {
        PathUtils.Validate(path, mode.IsSequential());
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown create mode");
        }

        acl ??= Acl.OpenAclUnsafe;
        var serverPath = ToServerPath(path);
        if (mode.IsTtl())
        {
            if (ttl is not { } t || t <= 0 || t > EphemeralOwners.MaxTtl)
            {
                throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"a TTL mode needs a TTL between 1 and {EphemeralOwners.MaxTtl} ms");
            }

            return (OpCode.CreateTtl, new CreateTtlRequest(serverPath, data, acl, (int)mode, t));
        }

        if (ttl is not null)
        {
            throw new ArgumentException($"a TTL is only valid with {CreateMode.PersistentWithTtl} or {CreateMode.PersistentSequentialWithTtl}", nameof(ttl));
        }

        var op = mode == CreateMode.Container ? OpCode.CreateContainer : withStat ? OpCode.Create2 : OpCode.Create;
        return (op, new CreateRequest(serverPath, data, acl, (int)mode));
    }

    private MultiOp ToMultiOp(Op op)
    {
        switch (op)
        {
            case Op.Create c:
                var (code, request) = BuildCreate(c.Path, c.Data, c.Acl, c.Mode, c.Ttl, withStat: false);
                return new MultiOp(code, request);
            case Op.Delete d:
                PathUtils.Validate(d.Path);
                return new MultiOp(OpCode.Delete, new DeleteRequest(ToServerPath(d.Path), d.Version));
            case Op.SetData s:
                PathUtils.Validate(s.Path);
                return new MultiOp(OpCode.SetData, new SetDataRequest(ToServerPath(s.Path), s.Data, s.Version));
            case Op.Check k:
                PathUtils.Validate(k.Path);
                return new MultiOp(OpCode.Check, new CheckVersionRequest(ToServerPath(k.Path), k.Version));
            case Op.GetData g:
                PathUtils.Validate(g.Path);
                return new MultiOp(OpCode.GetData, new PathWatchRequest(ToServerPath(g.Path), false));
            case Op.GetChildren g:
                PathUtils.Validate(g.Path);
                return new MultiOp(OpCode.GetChildren, new PathWatchRequest(ToServerPath(g.Path), false));
            default:
                throw new ArgumentException($"unsupported operation {op.GetType().Name}", nameof(op));
        }
    }

    private List<OpResult> ToOpResults(MultiResponse response)
    {
        var results = new List<OpResult>(response.Results.Count);
        foreach (var r in response.Results)
        {
            results.Add(r.Body switch
            {
                ErrorResponse e => new OpResult.Error(e.Err),
                PathRecord p => new OpResult.Create(ToClientPath(p.Path), null),
                Create2Response c => new OpResult.Create(ToClientPath(c.Path), c.Stat),
                StatResponse s => new OpResult.SetData(s.Stat),
                GetDataResponse g => new OpResult.GetData(g.Data ?? [], g.Stat),
                StringListResponse l => new OpResult.GetChildren(l.Items),
                null when r.Type == OpCode.Delete => new OpResult.Delete(),
                null when r.Type == OpCode.Check => new OpResult.Check(),
                _ => throw new KeeperException(ErrorCode.MarshallingError, message: $"unexpected multi result type {r.Type}"),
            });
        }

        return results;
    }
}
