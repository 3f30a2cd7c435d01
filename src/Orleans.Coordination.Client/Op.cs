using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Client;

/// <summary>
/// One operation of a multi (<see cref="CoordinationClient.MultiAsync"/>: <see cref="Create"/>,
/// <see cref="Delete"/>, <see cref="SetData"/>, <see cref="Check"/>) or of a multiRead
/// (<see cref="CoordinationClient.MultiReadAsync"/>: <see cref="GetData"/>, <see cref="GetChildren"/>).
/// </summary>
/// <param name="Path">The node's client path.</param>
public abstract record Op(string Path)
{
    /// <summary>Creates a node (a sequential mode appends the counter; TTL modes need <paramref name="Ttl"/>).</summary>
    public sealed record Create(string Path, byte[]? Data = null, CreateMode Mode = CreateMode.Persistent, IReadOnlyList<Acl>? Acl = null, long? Ttl = null) : Op(Path);

    /// <summary>Deletes a node; <paramref name="Version"/> -1 matches any version.</summary>
    public sealed record Delete(string Path, int Version = -1) : Op(Path);

    /// <summary>Replaces a node's data; <paramref name="Version"/> -1 matches any version.</summary>
    public sealed record SetData(string Path, byte[]? Data, int Version = -1) : Op(Path);

    /// <summary>Fails the transaction unless the node exists with this version (-1: only that it exists).</summary>
    public sealed record Check(string Path, int Version) : Op(Path);

    /// <summary>Reads a node's data (multiRead only).</summary>
    public sealed record GetData(string Path) : Op(Path);

    /// <summary>Reads a node's child names (multiRead only).</summary>
    public sealed record GetChildren(string Path) : Op(Path);
}

/// <summary>The result of one <see cref="Op"/>.</summary>
public abstract record OpResult
{
    /// <summary>A create succeeded: the created client path and, for container and TTL creates, the Stat.</summary>
    public sealed record Create(string Path, Stat? Stat) : OpResult;

    /// <summary>A delete succeeded.</summary>
    public sealed record Delete : OpResult;

    /// <summary>A setData succeeded: the node's new Stat.</summary>
    public sealed record SetData(Stat Stat) : OpResult;

    /// <summary>A check succeeded.</summary>
    public sealed record Check : OpResult;

    /// <summary>A multiRead getData: the data (never null) and Stat.</summary>
    public sealed record GetData(byte[] Data, Stat Stat) : OpResult;

    /// <summary>A multiRead getChildren: the child names.</summary>
    public sealed record GetChildren(IReadOnlyList<string> Children) : OpResult;

    /// <summary>
    /// The operation failed with <paramref name="Code"/>. In a failed multi, operations before the failing one
    /// report <see cref="ErrorCode.Ok"/> (they were rolled back) and those after it <see cref="ErrorCode.RuntimeInconsistency"/>.
    /// </summary>
    public sealed record Error(ErrorCode Code) : OpResult;
}
