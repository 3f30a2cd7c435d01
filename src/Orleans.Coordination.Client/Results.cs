using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client;

/// <summary>A node's data and Stat. Data is never null: a node stored with null data reads as empty.</summary>
public sealed record DataResult(byte[] Data, Stat Stat);

/// <summary>A node's child names (not paths, in no particular order) and its Stat.</summary>
public sealed record ChildrenResult(IReadOnlyList<string> Children, Stat Stat);

/// <summary>A node's ACL and Stat.</summary>
public sealed record AclResult(IReadOnlyList<Acl> Acl, Stat Stat);

/// <summary>The path a create produced (with its sequence suffix, chroot stripped) and the new node's Stat.</summary>
public sealed record CreateResult(string Path, Stat Stat);

/// <summary>
/// Data read with a one-shot watch. <paramref name="Changed"/> completes with the first event for the node
/// (NodeDataChanged or NodeDeleted), or with an Expired/Closed event when the session ends first.
/// </summary>
public sealed record WatchedData(byte[] Data, Stat Stat, Task<WatchEvent> Changed);

/// <summary>
/// Children read with a one-shot watch. <paramref name="Changed"/> completes with NodeChildrenChanged or
/// NodeDeleted, or with an Expired/Closed event when the session ends first.
/// </summary>
public sealed record WatchedChildren(IReadOnlyList<string> Children, Stat Stat, Task<WatchEvent> Changed);

/// <summary>
/// An existence check with a one-shot watch. <paramref name="Stat"/> is null when the node does not exist;
/// <paramref name="Changed"/> then completes with NodeCreated, otherwise with NodeDataChanged or NodeDeleted
/// (or with an Expired/Closed event when the session ends first).
/// </summary>
public sealed record WatchedExists(Stat? Stat, Task<WatchEvent> Changed);
