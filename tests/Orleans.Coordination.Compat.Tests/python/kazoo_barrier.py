"""kazoo: Barrier, DoubleBarrier and Party with several clients."""

import threading
import time

from compat_common import check, client, eq, run, wait_until


def body(hosts, base):
    clients = [client(hosts) for _ in range(3)]

    # Barrier: waiters block until the barrier node is removed.
    path = base + "/barrier"
    clients[0].Barrier(path).create()
    released = []
    guard = threading.Lock()

    def waiter(zk, n):
        # The barrier was raised through clients[0]'s server; a waiter on another server must catch up
        # first, or it may see no barrier and pass.
        zk.sync(path)
        if zk.Barrier(path).wait(30):
            with guard:
                released.append(n)

    threads = [threading.Thread(target=waiter, args=(zk, n)) for n, zk in enumerate(clients)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    eq([], released, "nobody passes a raised barrier")
    clients[0].Barrier(path).remove()
    for t in threads:
        t.join(30)
    eq([0, 1, 2], sorted(released), "everyone passes once the barrier is removed")
    check(clients[1].Barrier(path).wait(1), "a removed barrier does not block")

    # DoubleBarrier: enter() returns only when all three are in, leave() when all are out.
    dpath = base + "/double"
    entered = []
    left = []
    times = {"arrive": [], "entered": [], "leaving": [], "left": []}

    def participant(zk, n):
        b = zk.DoubleBarrier(dpath, 3, identifier="p%d" % n)
        time.sleep(0.3 * n)
        with guard:
            times["arrive"].append(time.time())
        b.enter()
        with guard:
            times["entered"].append(time.time())
            entered.append(n)
        time.sleep(0.3 * (2 - n))
        with guard:
            times["leaving"].append(time.time())
        b.leave()
        with guard:
            times["left"].append(time.time())
            left.append(n)

    threads = [threading.Thread(target=participant, args=(zk, n)) for n, zk in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(45)
    check(not any(t.is_alive() for t in threads), "double barrier participants finished")
    eq([0, 1, 2], sorted(entered), "all entered")
    eq([0, 1, 2], sorted(left), "all left")
    check(min(times["entered"]) >= max(times["arrive"]), "nobody entered before the last participant arrived")
    check(min(times["left"]) >= max(times["leaving"]), "nobody left before the last participant started leaving")
    clients[0].sync(dpath)
    eq([], clients[0].get_children(dpath) if clients[0].exists(dpath) else [], "barrier nodes cleaned up")

    # Party: membership follows sessions.
    ppath = base + "/party"
    parties = [zk.Party(ppath, "member-%d" % n) for n, zk in enumerate(clients)]
    for p in parties:
        p.join()
    observer = client(hosts)
    eq(["member-0", "member-1", "member-2"], sorted(observer.Party(ppath)), "party members")
    eq(3, len(observer.Party(ppath)), "party size")
    clients[2].stop()
    wait_until("a stopped member leaves the party", 10, lambda: len(observer.Party(ppath)) == 2)
    parties[0].leave()
    eq(["member-1"], sorted(observer.Party(ppath)), "after one leaves")


if __name__ == "__main__":
    run("kazoo_barrier", body)
