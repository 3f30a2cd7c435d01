"""kazoo: one-shot watches, DataWatch/ChildrenWatch recipes and TreeCache."""

import queue
import threading

from kazoo.protocol.states import EventType
from kazoo.recipe.cache import TreeCache, TreeEvent

from compat_common import check, client, eq, run


class Events(object):
    def __init__(self):
        self.q = queue.Queue()

    def __call__(self, event):
        self.q.put(event)

    def expect(self, type_, path, timeout=10):
        try:
            e = self.q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no %s event for %s within %ss" % (type_, path, timeout))
        eq((type_, path), (e.type, e.path), "watch event")
        return e

    def quiet(self, what, timeout=0.4):
        try:
            e = self.q.get(timeout=timeout)
        except queue.Empty:
            return
        raise AssertionError("unexpected event %r (%s)" % (e, what))


def body(hosts, base):
    zk = client(hosts)
    other = client(hosts)
    zk.create(base)
    zk.create(base + "/n", b"v0")

    # one-shot watches via get/exists/get_children
    w = Events()
    zk.get(base + "/n", watch=w)
    other.set(base + "/n", b"v1")
    w.expect(EventType.CHANGED, base + "/n")
    other.set(base + "/n", b"v2")
    w.quiet("fires once")

    eq(None, zk.exists(base + "/m", watch=w), "exists on missing node")
    other.create(base + "/m")
    w.expect(EventType.CREATED, base + "/m")

    zk.exists(base + "/m", watch=w)
    other.delete(base + "/m")
    w.expect(EventType.DELETED, base + "/m")

    zk.get_children(base, watch=w)
    other.create(base + "/c1")
    w.expect(EventType.CHILD, base)
    zk.get_children(base, watch=w)
    other.delete(base + "/c1")
    w.expect(EventType.CHILD, base)

    # DataWatch recipe: initial call, then one call per change, None after delete.
    seen = queue.Queue()

    @zk.DataWatch(base + "/n")
    def on_data(data, stat):
        seen.put((data, stat.version if stat else None))

    eq((b"v2", 2), seen.get(timeout=10), "DataWatch initial call")
    other.set(base + "/n", b"v3")
    eq((b"v3", 3), seen.get(timeout=10), "DataWatch after set")
    other.set(base + "/n", b"v4")
    eq((b"v4", 4), seen.get(timeout=10), "DataWatch after second set")

    # ChildrenWatch recipe
    kids = queue.Queue()

    @zk.ChildrenWatch(base + "/n")
    def on_children(children):
        kids.put(sorted(children))

    eq([], kids.get(timeout=10), "ChildrenWatch initial call")
    other.create(base + "/n/a")
    eq(["a"], kids.get(timeout=10), "ChildrenWatch after create")
    other.create(base + "/n/b", ephemeral=True)
    eq(["a", "b"], kids.get(timeout=10), "ChildrenWatch after second create")
    other.delete(base + "/n/a")
    eq(["b"], kids.get(timeout=10), "ChildrenWatch after delete")

    # TreeCache: a full initial snapshot, then node events for the whole subtree.
    tree_events = queue.Queue()
    cache = TreeCache(zk, base + "/tree")
    zk.create(base + "/tree/x/y", b"y", makepath=True)
    initialized = threading.Event()

    def listener(event):
        if event.event_type == TreeEvent.INITIALIZED:
            initialized.set()
        else:
            tree_events.put(event)

    cache.listen(listener)
    cache.start()
    check(initialized.wait(10), "TreeCache initialized")
    eq(b"y", cache.get_data(base + "/tree/x/y").data, "TreeCache initial data")
    while not tree_events.empty():
        tree_events.get()
    # (One change at a time: TreeCache re-reads on each event, so a create immediately followed
    # by a delete may legitimately show up as nothing.)
    for change, expected in (
            (lambda: other.create(base + "/tree/x/z", b"z"), (TreeEvent.NODE_ADDED, base + "/tree/x/z")),
            (lambda: other.set(base + "/tree/x/y", b"y2"), (TreeEvent.NODE_UPDATED, base + "/tree/x/y")),
            (lambda: other.delete(base + "/tree/x/z"), (TreeEvent.NODE_REMOVED, base + "/tree/x/z"))):
        change()
        e = tree_events.get(timeout=10)
        eq(expected, (e.event_type, e.event_data.path), "TreeCache event")
    eq(b"y2", cache.get_data(base + "/tree/x/y").data, "TreeCache data after update")
    cache.close()

    # Closing a session that owns an ephemeral child fires the ChildrenWatch.
    other.stop()
    eq([], kids.get(timeout=10), "ChildrenWatch after the owner's session closed")


if __name__ == "__main__":
    run("kazoo_watches", body)
