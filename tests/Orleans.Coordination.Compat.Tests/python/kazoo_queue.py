"""kazoo: Queue and LockingQueue with several producers and consumers; no item lost or doubled."""

import threading
import time

from compat_common import check, client, eq, run

ITEMS_PER_PRODUCER = 40


def drain_in_threads(consumers, get_one, expected_total, deadline_s=60):
    taken = []
    guard = threading.Lock()
    errors = []

    def consume(zk, q):
        try:
            end = time.time() + deadline_s
            while time.time() < end:
                with guard:
                    if len(taken) >= expected_total:
                        return
                item = get_one(q)
                if item is not None:
                    with guard:
                        taken.append(item)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=consume, args=c) for c in consumers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline_s + 5)
    eq([], errors, "consumer errors")
    return taken


def body(hosts, base):
    producers = [client(hosts) for _ in range(2)]
    consumers = [client(hosts) for _ in range(3)]

    # Queue: get() is non-blocking and removes the item.
    def produce(zk, n, path):
        q = zk.Queue(path)
        for i in range(ITEMS_PER_PRODUCER):
            q.put(("p%d-%d" % (n, i)).encode())

    ps = [threading.Thread(target=produce, args=(zk, n, base + "/q")) for n, zk in enumerate(producers)]
    for t in ps:
        t.start()
    for t in ps:
        t.join(60)
    total = 2 * ITEMS_PER_PRODUCER
    # producers[1]'s puts may have gone through another server than producers[0]'s.
    producers[0].sync(base + "/q")
    eq(total, len(producers[0].Queue(base + "/q")), "queue length")
    taken = drain_in_threads([(zk, zk.Queue(base + "/q")) for zk in consumers], lambda q: q.get(), total)
    eq(total, len(taken), "items taken from Queue")
    eq(total, len(set(taken)), "no Queue item taken twice")
    # Per producer, FIFO order holds for a single consumer.
    single = producers[0].Queue(base + "/fifo")
    for i in range(10):
        single.put(str(i).encode())
    eq([str(i).encode() for i in range(10)], [single.get() for _ in range(10)], "FIFO order")
    eq(None, single.get(), "empty queue")
    # Priorities: lower number first.
    prio = producers[0].Queue(base + "/prio")
    prio.put(b"low", priority=200)
    prio.put(b"high", priority=10)
    prio.put(b"mid", priority=100)
    eq([b"high", b"mid", b"low"], [prio.get(), prio.get(), prio.get()], "priority order")

    # LockingQueue: get() locks an item, consume() removes it.
    lq_path = base + "/lq"
    lq = producers[0].LockingQueue(lq_path)
    lq.put_all([("item-%d" % i).encode() for i in range(total)])
    eq(total, len(lq), "locking queue length")

    def take_locked(q):
        item = q.get(timeout=1)
        if item is None:
            return None
        check(q.consume(), "consume a locked item")
        return item

    taken = drain_in_threads([(zk, zk.LockingQueue(lq_path)) for zk in consumers], take_locked, total)
    eq(sorted(("item-%d" % i).encode() for i in range(total)), sorted(taken), "every LockingQueue item exactly once")

    # A consumer that dies while holding an item gives it back.
    lq.put(b"precious")
    doomed = client(hosts)
    dq = doomed.LockingQueue(lq_path)
    eq(b"precious", dq.get(timeout=5), "doomed consumer takes the item")
    other = consumers[0].LockingQueue(lq_path)
    eq(None, other.get(timeout=0.5), "the item is locked")
    doomed.stop()
    eq(b"precious", other.get(timeout=15), "the item comes back when its holder's session ends")
    check(other.consume(), "consume it")
    eq(0, len(other), "queue empty")


if __name__ == "__main__":
    run("kazoo_queue", body)
