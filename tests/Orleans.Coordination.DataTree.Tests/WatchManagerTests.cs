using Orleans.Coordination.DataTree.Tests.Support;
using Orleans.Coordination.DataTree.Watches;
using Orleans.Coordination.Protocol;
using Orleans.Coordination.Protocol.Records;

namespace Orleans.Coordination.DataTree.Tests;

/// <summary>Which change fires which watch, once per watcher per trigger, driven through applied txns.</summary>
public sealed class WatchManagerTests
{
    private readonly TreeHarness _h = new();
    private readonly RecordingWatcher _w = new(1);
    private readonly RecordingWatcher _other = new(2);

    private WatchManager Watches => _h.Tree.Watches;

    [Fact]
    public void Create_fires_NodeCreated_on_data_watches_and_NodeChildrenChanged_on_the_parent()
    {
        _h.CreateOk("/p");
        Watches.AddDataWatch("/p/c", _w);
        Watches.AddChildWatch("/p", _w);
        Watches.AddChildWatch("/p/c", _other);
        Watches.AddDataWatch("/p", _other);
        var zxid = _h.NextZxid;
        _h.CreateOk("/p/c");

        Assert.Equal([(EventType.NodeCreated, "/p/c", zxid), (EventType.NodeChildrenChanged, "/p", zxid)], _w.Events);
        Assert.Empty(_other.Events);
    }

    [Fact]
    public void Top_level_create_fires_the_child_watch_on_root()
    {
        Watches.AddChildWatch("/", _w);
        _h.CreateOk("/top");
        Assert.Equal([(EventType.NodeChildrenChanged, "/")], _w.Take());
    }

    [Fact]
    public void Delete_fires_NodeDeleted_once_per_watcher_and_NodeChildrenChanged_on_the_parent()
    {
        _h.CreateOk("/p");
        _h.CreateOk("/p/c");
        Watches.AddDataWatch("/p/c", _w);
        Watches.AddChildWatch("/p/c", _w);
        Watches.AddChildWatch("/p/c", _other);
        Watches.AddChildWatch("/p", _other);
        Assert.Equal(ErrorCode.Ok, _h.Delete("/p/c"));

        Assert.Equal([(EventType.NodeDeleted, "/p/c")], _w.Take());
        Assert.Equal([(EventType.NodeDeleted, "/p/c"), (EventType.NodeChildrenChanged, "/p")], _other.Take());
        Assert.Equal(0, Watches.Count);
    }

    [Fact]
    public void SetData_fires_only_data_watches()
    {
        _h.CreateOk("/n");
        Watches.AddDataWatch("/n", _w);
        Watches.AddChildWatch("/n", _other);
        Assert.Equal(ErrorCode.Ok, _h.SetData("/n", [1]));
        Assert.Equal([(EventType.NodeDataChanged, "/n")], _w.Take());
        Assert.Empty(_other.Events);
        Assert.True(Watches.Contains("/n", _other, WatcherType.Children));
    }

    [Fact]
    public void SetAcl_fires_nothing()
    {
        _h.CreateOk("/n");
        Watches.AddDataWatch("/n", _w);
        Watches.AddChildWatch("/n", _w);
        Assert.Equal(ErrorCode.Ok, _h.SetAcl("/n", Acl.ReadAclUnsafe));
        Assert.Empty(_w.Events);
    }

    [Fact]
    public void Standard_watches_are_one_shot()
    {
        _h.CreateOk("/n");
        Watches.AddDataWatch("/n", _w);
        Watches.AddDataWatch("/n", _w);
        Assert.Equal(1, Watches.Count);
        Assert.Equal(ErrorCode.Ok, _h.SetData("/n", [1]));
        Assert.Equal(ErrorCode.Ok, _h.SetData("/n", [2]));
        Assert.Equal([(EventType.NodeDataChanged, "/n")], _w.Take());
        Assert.False(Watches.Contains("/n", _w, WatcherType.Data));
        Assert.Equal(0, Watches.Count);
        Assert.Equal(0, Watches.WatcherCount);
    }

    [Fact]
    public void Each_watcher_gets_its_own_event()
    {
        _h.CreateOk("/n");
        Watches.AddDataWatch("/n", _w);
        Watches.AddDataWatch("/n", _other);
        Assert.Equal(ErrorCode.Ok, _h.SetData("/n", [1]));
        Assert.Single(_w.Events);
        Assert.Single(_other.Events);
    }

    [Fact]
    public void Persistent_watch_fires_for_data_and_children_and_survives_NodeDeleted()
    {
        Watches.AddPersistentWatch("/p", _w, recursive: false);
        _h.CreateOk("/p");
        _h.CreateOk("/p/c");
        _h.CreateOk("/p/c/g");
        Assert.Equal(ErrorCode.Ok, _h.SetData("/p", [1]));
        Assert.Equal(ErrorCode.Ok, _h.Delete("/p/c/g"));
        Assert.Equal(ErrorCode.Ok, _h.Delete("/p/c"));
        Assert.Equal(ErrorCode.Ok, _h.Delete("/p"));
        _h.CreateOk("/p");

        Assert.Equal(
            [
                (EventType.NodeCreated, "/p"),
                (EventType.NodeChildrenChanged, "/p"),
                (EventType.NodeDataChanged, "/p"),
                (EventType.NodeChildrenChanged, "/p"),
                (EventType.NodeDeleted, "/p"),
                (EventType.NodeCreated, "/p"),
            ],
            _w.Take());
        Assert.True(Watches.Contains("/p", _w, WatcherType.Persistent));
    }

    [Fact]
    public void Recursive_watch_matches_descendants_and_never_gets_NodeChildrenChanged()
    {
        _h.CreateOk("/r");
        Watches.AddPersistentWatch("/r", _w, recursive: true);
        _h.CreateOk("/r/a");
        _h.CreateOk("/r/a/b");
        Assert.Equal(ErrorCode.Ok, _h.SetData("/r/a/b", [1]));
        Assert.Equal(ErrorCode.Ok, _h.Delete("/r/a/b"));
        _h.CreateOk("/rx");
        Assert.Equal(ErrorCode.Ok, _h.Delete("/r/a"));
        Assert.Equal(ErrorCode.Ok, _h.Delete("/r"));

        Assert.Equal(
            [
                (EventType.NodeCreated, "/r/a"),
                (EventType.NodeCreated, "/r/a/b"),
                (EventType.NodeDataChanged, "/r/a/b"),
                (EventType.NodeDeleted, "/r/a/b"),
                (EventType.NodeDeleted, "/r/a"),
                (EventType.NodeDeleted, "/r"),
            ],
            _w.Take());
        Assert.True(Watches.Contains("/r", _w, WatcherType.PersistentRecursive));
    }

    [Fact]
    public void Recursive_watch_on_root_sees_everything()
    {
        Watches.AddPersistentWatch("/", _w, recursive: true);
        _h.CreateOk("/x");
        _h.CreateOk("/x/y");
        Assert.Equal([(EventType.NodeCreated, "/x"), (EventType.NodeCreated, "/x/y")], _w.Take());
    }

    [Fact]
    public void Overlapping_watches_of_one_watcher_give_one_event_per_trigger()
    {
        _h.CreateOk("/o");
        _h.CreateOk("/o/n");
        Watches.AddDataWatch("/o/n", _w);
        Watches.AddPersistentWatch("/o/n", _w, recursive: false);
        Watches.AddPersistentWatch("/o/n", _w, recursive: true);
        Watches.AddPersistentWatch("/o", _w, recursive: true);
        Watches.AddPersistentWatch("/", _w, recursive: true);
        Assert.Equal(ErrorCode.Ok, _h.SetData("/o/n", [1]));
        Assert.Equal([(EventType.NodeDataChanged, "/o/n")], _w.Take());
    }

    [Fact]
    public void Persistent_watch_on_parent_and_recursive_on_ancestor_give_one_event_each_on_create()
    {
        _h.CreateOk("/o");
        Watches.AddPersistentWatch("/o", _w, recursive: false);
        Watches.AddPersistentWatch("/", _w, recursive: true);
        _h.CreateOk("/o/n");

        // Two triggers (NodeCreated on /o/n, NodeChildrenChanged on /o), one event each.
        Assert.Equal([(EventType.NodeCreated, "/o/n"), (EventType.NodeChildrenChanged, "/o")], _w.Take());
    }

    [Fact]
    public void Events_need_READ_on_the_node()
    {
        var bob = TreeHarness.Digest("bob:pw");
        var bobWatcher = new RecordingWatcher(3, bob);
        _h.CreateOk("/secret", acl: [new Acl(Perms.Read, new Id("digest", Acls.AclEvaluator.DigestId("bob:pw"))), new Acl(Perms.Write, Id.Anyone)]);
        Watches.AddDataWatch("/secret", _w);
        Watches.AddDataWatch("/secret", bobWatcher);
        Assert.Equal(ErrorCode.Ok, _h.SetData("/secret", [1]));
        Assert.Empty(_w.Events);
        Assert.Equal([(EventType.NodeDataChanged, "/secret")], bobWatcher.Take());
    }

    [Fact]
    public void NodeChildrenChanged_needs_READ_on_the_parent()
    {
        _h.CreateOk("/closed", acl: [new Acl(Perms.Create | Perms.Delete, Id.Anyone)]);
        Watches.AddChildWatch("/closed", _w);
        Watches.AddDataWatch("/closed/c", _w);
        _h.CreateOk("/closed/c");

        // The child is readable, so NodeCreated arrives; the unreadable parent's event does not.
        Assert.Equal([(EventType.NodeCreated, "/closed/c")], _w.Take());
    }

    [Fact]
    public void Super_watchers_get_events_regardless_of_acl()
    {
        var super = new RecordingWatcher(4, [new Id("ip", "127.0.0.1"), new Id("super", "")]);
        _h.CreateOk("/locked", acl: [new Acl(Perms.Write, Id.Anyone)]);
        Watches.AddDataWatch("/locked", super);
        Assert.Equal(ErrorCode.Ok, _h.SetData("/locked", [1]));
        Assert.Single(super.Events);
    }

    [Fact]
    public void Remove_and_contains_by_type()
    {
        Watches.AddDataWatch("/a", _w);
        Watches.AddChildWatch("/a", _w);
        Watches.AddPersistentWatch("/a", _w, recursive: false);
        Watches.AddPersistentWatch("/a", _w, recursive: true);
        Assert.Equal(4, Watches.Count);
        Assert.Equal(1, Watches.PathCount);
        Assert.True(Watches.Contains("/a", _w, WatcherType.Any));
        Assert.False(Watches.Contains("/a", _other, WatcherType.Any));

        Assert.True(Watches.Remove("/a", _w, WatcherType.Children));
        Assert.False(Watches.Remove("/a", _w, WatcherType.Children));
        Assert.True(Watches.Contains("/a", _w, WatcherType.Data));
        Assert.True(Watches.Remove("/a", _w, WatcherType.Any));
        Assert.False(Watches.Contains("/a", _w, WatcherType.Any));
        Assert.Equal(0, Watches.Count);
        Assert.False(Watches.Remove("/a", _w, WatcherType.Any));
    }

    [Fact]
    public void RemoveWatcher_drops_every_watch_of_a_closed_connection()
    {
        Watches.AddDataWatch("/a", _w);
        Watches.AddChildWatch("/b", _w);
        Watches.AddPersistentWatch("/c", _w, recursive: true);
        Watches.AddDataWatch("/a", _other);
        Watches.RemoveWatcher(_w);
        Assert.Equal(1, Watches.Count);
        Assert.Equal([(2L, "/a")], Watches.Entries());
        _h.CreateOk("/a");
        _h.CreateOk("/c");
        _h.CreateOk("/c/d");
        Assert.Empty(_w.Events);
        Assert.Single(_other.Events);
    }

    [Fact]
    public void Entries_list_session_and_path_pairs()
    {
        Watches.AddDataWatch("/a", _w);
        Watches.AddChildWatch("/a", _w);
        Watches.AddDataWatch("/b", _other);
        Assert.Equal(
            new HashSet<(long, string)> { (1, "/a"), (2, "/b") },
            Watches.Entries().ToHashSet());
        Assert.Equal(2, Watches.WatcherCount);
        Assert.Equal(2, Watches.PathCount);
    }

    [Fact]
    public void CloseSession_fires_NodeDeleted_for_each_ephemeral()
    {
        _h.OpenSession(TreeHarness.SessionA);
        _h.CreateOk("/e1", mode: CreateMode.Ephemeral);
        _h.CreateOk("/e2", mode: CreateMode.Ephemeral);
        Watches.AddDataWatch("/e1", _w);
        Watches.AddDataWatch("/e2", _w);
        Watches.AddChildWatch("/", _other);
        var zxid = _h.NextZxid;
        Assert.Equal(ErrorCode.Ok, _h.CloseSession(TreeHarness.SessionA));
        Assert.Equal(new HashSet<(EventType, string, long)> { (EventType.NodeDeleted, "/e1", zxid), (EventType.NodeDeleted, "/e2", zxid) }, _w.Events.ToHashSet());
        Assert.Equal([(EventType.NodeChildrenChanged, "/")], _other.Take());
    }
}
