using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.Recipes;

/// <summary>A cached node: its path, data (never null) and Stat.</summary>
/// <param name="Path">The node's path.</param>
/// <param name="Data">The node's data.</param>
/// <param name="Stat">The node's Stat when it was read.</param>
public sealed record NodeData(string Path, byte[] Data, Stat Stat)
{
    /// <summary>Whether <paramref name="other"/> is the same version of the same node (same creation and modification zxids).</summary>
    public bool IsSameVersion(NodeData? other) =>
        other is not null && other.Path == Path && other.Stat.Czxid == Stat.Czxid && other.Stat.Mzxid == Stat.Mzxid && other.Stat.Version == Stat.Version;
}
