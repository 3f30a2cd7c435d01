using Orleans.Coordination.Protocol;

namespace Orleans.Coordination.Client;

/// <summary>
/// A watch notification. Node events carry the node's client path (chroot stripped) and
/// <see cref="KeeperState.SyncConnected"/>. Events with <see cref="EventType.None"/> report the connection or
/// session instead: <see cref="KeeperState.Expired"/> and <see cref="KeeperState.Closed"/> reach every watcher
/// and are the last a watcher gets; persistent watch streams also get <see cref="KeeperState.Disconnected"/>
/// and <see cref="KeeperState.SyncConnected"/> (changes made while disconnected are not replayed for them).
/// </summary>
/// <param name="Type">What happened.</param>
/// <param name="State">The connection state the event was produced in.</param>
/// <param name="Path">The node's client path; null for connection events.</param>
public sealed record WatchEvent(EventType Type, KeeperState State, string? Path);
