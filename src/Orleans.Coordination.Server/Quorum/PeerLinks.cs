namespace Orleans.Coordination.Server.Quorum;

/// <summary>
/// Which peers this silo can exchange messages with: a test hook for partitions. A blocked peer's messages are
/// dropped in both directions (what this silo sends to it and what it receives from it), as a network partition
/// would drop them; connections stay up, so healing is immediate. Thread-safe.
/// </summary>
public sealed class PeerLinks
{
    private volatile HashSet<int> _blocked = [];

    /// <summary>Peers currently cut off.</summary>
    public IReadOnlyCollection<int> Blocked => _blocked;

    /// <summary>Drops every message to and from these peers until <see cref="Unblock"/> or <see cref="Heal"/>.</summary>
    public void Block(params int[] serverIds) => Update(s => s.UnionWith(serverIds));

    /// <summary>Lets messages to and from these peers through again.</summary>
    public void Unblock(params int[] serverIds) => Update(s => s.ExceptWith(serverIds));

    /// <summary>Unblocks every peer.</summary>
    public void Heal() => _blocked = [];

    /// <summary>Whether messages to and from <paramref name="serverId"/> are dropped.</summary>
    public bool IsBlocked(int serverId) => _blocked.Contains(serverId);

    private void Update(Action<HashSet<int>> change)
    {
        lock (this)
        {
            var next = new HashSet<int>(_blocked);
            change(next);
            _blocked = next;
        }
    }
}
