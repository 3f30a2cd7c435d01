using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Prep;

/// <summary>
/// What prep believes a node will look like once every txn it has already stamped is applied
/// (ZooKeeper's outstanding ChangeRecord). <see cref="Exists"/> false marks a pending delete.
/// </summary>
internal sealed record ChangeRecord(
    string Path,
    long Zxid,
    bool Exists,
    int Version,
    int Cversion,
    int Aversion,
    int NumChildren,
    long EphemeralOwner,
    IReadOnlyList<Acl> Acl);
