using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Watches;

/// <summary>
/// A party that holds server-side watches: a client connection. Delivery happens on the apply
/// thread, before the reply of the change that fired it is queued.
/// </summary>
public interface IWatcher
{
    /// <summary>The session this watcher belongs to (for wchc/wchp and dumps).</summary>
    long SessionId { get; }

    /// <summary>The identities the connection holds, for the READ check before an event is delivered.</summary>
    IReadOnlyList<Id> AuthIds { get; }

    /// <summary>Queues a notification (xid -1) carrying <paramref name="zxid"/>.</summary>
    void Deliver(EventType type, string path, long zxid);
}
