using Orleans.Coordination.DataTree.Watches;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tests.Support;

/// <summary>A watcher that records what it is delivered.</summary>
public sealed class RecordingWatcher(long sessionId, IReadOnlyList<Id>? authIds = null) : IWatcher
{
    public long SessionId { get; } = sessionId;

    public IReadOnlyList<Id> AuthIds { get; } = authIds ?? TreeHarness.Anonymous;

    public List<(EventType Type, string Path, long Zxid)> Events { get; } = [];

    public void Deliver(EventType type, string path, long zxid) => Events.Add((type, path, zxid));

    /// <summary>The events so far as (type, path), then forgets them.</summary>
    public List<(EventType, string)> Take()
    {
        var list = Events.Select(e => (e.Type, e.Path)).ToList();
        Events.Clear();
        return list;
    }
}
