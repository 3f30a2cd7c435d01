using Orleans.Coordination.DataTree.Prep;
using Orleans.Coordination.DataTree.Tree;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Jute;
using Orleans.Coordination.Protocol.Records;
using Orleans.Coordination.Protocol.Txn;
using ZnodeTree = Orleans.Coordination.DataTree.Tree.DataTree;

namespace Orleans.Coordination.DataTree.Tests.Support;

/// <summary>
/// Drives a tree the way a silo does: prep against tree + outstanding changes, stamp a zxid and a time,
/// apply in zxid order, retire the outstanding changes. Time is a settable fake clock.
/// </summary>
public sealed class TreeHarness
{
    public const long SessionA = 0x0100_0000_0000_0001;
    public const long SessionB = 0x0100_0000_0000_0002;

    private readonly Queue<Transaction> _stamped = new();

    public TreeHarness(bool extendedTypes = true)
    {
        Tree = new ZnodeTree();
        Preparer = new Preparer(Tree, new PrepOptions(extendedTypes));
    }

    public ZnodeTree Tree { get; }

    public Preparer Preparer { get; }

    /// <summary>The zxid the next stamped txn gets.</summary>
    public long NextZxid { get; private set; } = (1L << 32) + 1;

    public long Now { get; set; } = 1_700_000_000_000;

    /// <summary>The ids a plain connection from localhost holds.</summary>
    public static IReadOnlyList<Id> Anonymous { get; } = [new Id("ip", "127.0.0.1")];

    public static IReadOnlyList<Id> Digest(string userPassword) =>
        [new Id("ip", "127.0.0.1"), new Id("digest", Acls.AclEvaluator.DigestId(userPassword))];

    /// <summary>Prepares a write; on success stamps it (not yet applied). Returns the prep result.</summary>
    public PrepResult Prepare(OpCode type, IJuteRecord? request, long session = SessionA, IReadOnlyList<Id>? ids = null)
    {
        var zxid = NextZxid;
        var prep = Preparer.Prepare(type, request, session, ids ?? Anonymous, zxid);
        if (prep.Body is not null)
        {
            _stamped.Enqueue(new Transaction(new TxnHeader(session, 0, zxid, Now, prep.Body.Type), prep.Body));
            NextZxid++;
        }

        return prep;
    }

    /// <summary>Applies every stamped txn in order; returns the results of the last one.</summary>
    public IReadOnlyList<OpResult> ApplyAll()
    {
        IReadOnlyList<OpResult> last = [];
        while (_stamped.Count > 0)
        {
            var txn = _stamped.Dequeue();
            last = Tree.Apply(txn);
            Preparer.Applied(txn.Zxid);
        }

        return last;
    }

    /// <summary>Prepares and applies one write; returns its error code (and, on success, the first op's result).</summary>
    public (ErrorCode Err, OpResult Result) Write(OpCode type, IJuteRecord? request, long session = SessionA, IReadOnlyList<Id>? ids = null)
    {
        var prep = Prepare(type, request, session, ids);
        if (prep.Body is null)
        {
            return (prep.Err, default);
        }

        var results = ApplyAll();
        return (ErrorCode.Ok, results[0]);
    }

    public ErrorCode Create(string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, long session = SessionA, IReadOnlyList<Id>? ids = null) =>
        Write(OpCode.Create, new CreateRequest(path, data ?? [], acl ?? Acl.OpenAclUnsafe, (int)mode), session, ids).Err;

    /// <summary>Creates a node and returns the path the server chose (sequential names).</summary>
    public string CreateOk(string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, long session = SessionA, IReadOnlyList<Id>? ids = null)
    {
        var (err, result) = Write(OpCode.Create, new CreateRequest(path, data ?? [], acl ?? Acl.OpenAclUnsafe, (int)mode), session, ids);
        Assert.True(err == ErrorCode.Ok, $"create {path}: {err}");
        return result.Path!;
    }

    public ErrorCode Delete(string path, int version = -1, IReadOnlyList<Id>? ids = null) =>
        Write(OpCode.Delete, new DeleteRequest(path, version), SessionA, ids).Err;

    public ErrorCode SetData(string path, byte[]? data, int version = -1, IReadOnlyList<Id>? ids = null) =>
        Write(OpCode.SetData, new SetDataRequest(path, data, version), SessionA, ids).Err;

    public ErrorCode SetAcl(string path, IReadOnlyList<Acl> acl, int version = -1, IReadOnlyList<Id>? ids = null) =>
        Write(OpCode.SetAcl, new SetAclRequest(path, acl, version), SessionA, ids).Err;

    public void OpenSession(long session, int timeout = 30_000)
    {
        var body = new CreateSessionTxn(timeout, new byte[16]);
        Tree.Apply(new Transaction(new TxnHeader(session, 0, NextZxid++, Now, body.Type), body));
    }

    public ErrorCode CloseSession(long session) => Write(OpCode.CloseSession, null, session).Err;

    public Stat StatOf(string path) => (Tree.Get(path) ?? throw new InvalidOperationException($"{path} does not exist")).ToStat();

    /// <summary>Applies a hand-built txn body at the next zxid.</summary>
    public IReadOnlyList<OpResult> ApplyRaw(TxnBody body, long session = SessionA)
    {
        var zxid = NextZxid++;
        var results = Tree.Apply(new Transaction(new TxnHeader(session, 0, zxid, Now, body.Type), body));
        Preparer.Applied(zxid);
        return results;
    }
}
