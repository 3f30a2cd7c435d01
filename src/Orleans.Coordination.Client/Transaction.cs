using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client;

/// <summary>
/// Builds an atomic multi: either every operation applies (with one zxid) or none does.
/// <code>
/// var results = await client.Transaction()
///     .Check("/config", version: 3)
///     .Create("/config/entry-", data, CreateMode.PersistentSequential)
///     .SetData("/config", newData, version: 3)
///     .CommitAsync();
/// </code>
/// </summary>
public sealed class Transaction
{
    private readonly CoordinationClient _client;
    private readonly List<Op> _ops = [];

    internal Transaction(CoordinationClient client) => _client = client;

    /// <summary>The operations added so far.</summary>
    public IReadOnlyList<Op> Operations => _ops;

    /// <summary>Adds a create.</summary>
    public Transaction Create(string path, byte[]? data = null, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, long? ttl = null)
        => Add(new Op.Create(path, data, mode, acl, ttl));

    /// <summary>Adds a delete; version -1 matches any version.</summary>
    public Transaction Delete(string path, int version = -1) => Add(new Op.Delete(path, version));

    /// <summary>Adds a setData; version -1 matches any version.</summary>
    public Transaction SetData(string path, byte[]? data, int version = -1) => Add(new Op.SetData(path, data, version));

    /// <summary>Adds a version check; version -1 only checks that the node exists.</summary>
    public Transaction Check(string path, int version) => Add(new Op.Check(path, version));

    /// <summary>Adds any write operation.</summary>
    public Transaction Add(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        _ops.Add(op);
        return this;
    }

    /// <summary>
    /// Sends the transaction. Returns one result per operation; when one fails, throws the
    /// <see cref="KeeperException"/> for its code with <see cref="KeeperException.FailedOperationIndex"/> and
    /// <see cref="KeeperException.OperationResults"/> set, and nothing is applied.
    /// </summary>
    public Task<IReadOnlyList<OpResult>> CommitAsync(CancellationToken cancellationToken = default) => _client.MultiAsync(_ops, cancellationToken);
}
