"""kazoo: Lock and Semaphore with several contending clients (own sessions)."""

import threading
import time

from kazoo.exceptions import LockTimeout

from compat_common import check, client, eq, expect_error, run, wait_until

CLIENTS = 5
ROUNDS = 12


def body(hosts, base):
    admin = client(hosts)
    admin.create(base + "/counter", b"0", makepath=True)
    clients = [client(hosts) for _ in range(CLIENTS)]

    # Lock: read-modify-write of a znode without versions; lost updates would show a lock failure.
    inside = [0]
    max_inside = [0]
    guard = threading.Lock()
    errors = []

    def worker(zk, ident):
        try:
            lock = zk.Lock(base + "/lock", identifier=ident)
            for _ in range(ROUNDS):
                with lock:
                    with guard:
                        inside[0] += 1
                        max_inside[0] = max(max_inside[0], inside[0])
                    value = int(zk.get(base + "/counter")[0])
                    time.sleep(0.002)
                    zk.set(base + "/counter", str(value + 1).encode())
                    with guard:
                        inside[0] -= 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(zk, "worker-%d" % i)) for i, zk in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    eq([], errors, "worker errors")
    check(not any(t.is_alive() for t in threads), "lock workers finished")
    eq(1, max_inside[0], "at most one holder at a time")
    # The last increment may have been made through another server than admin's.
    admin.sync(base + "/counter")
    eq(str(CLIENTS * ROUNDS).encode(), admin.get(base + "/counter")[0], "no lost increments")
    eq([], admin.get_children(base + "/lock"), "lock nodes cleaned up")

    # A holder that dies releases the lock (its ephemeral node goes with its session).
    holder = client(hosts)
    lock = holder.Lock(base + "/lock2", identifier="doomed")
    check(lock.acquire(timeout=10), "first holder acquires")
    waiter = clients[0].Lock(base + "/lock2", identifier="waiter")
    expect_error(LockTimeout, "second client cannot acquire while held", waiter.acquire, timeout=0.5)
    eq(["doomed"], lock.contenders(), "contenders lists the holder")
    got = []
    t = threading.Thread(target=lambda: got.append(waiter.acquire(timeout=15)))
    t.start()
    wait_until("the waiter queues up", 10, lambda: len(lock.contenders()) == 2)
    eq(["doomed", "waiter"], lock.contenders(), "contenders in queue order")
    holder.stop()
    t.join(20)
    eq([True], got, "lock released when the holder's session closes")
    waiter.release()

    # (ReadLock/WriteLock are left out: kazoo 2.8.0 orders mixed __lock__/__rlock__ nodes by name
    # rather than by sequence number and deadlocks against any server.)
    st_guard = threading.Lock()

    # Semaphore with two leases.
    sem_state = {"holders": 0, "max": 0}

    def lease(zk, n):
        sem = zk.Semaphore(base + "/sem", identifier="s%d" % n, max_leases=2)
        with sem:
            with st_guard:
                sem_state["holders"] += 1
                sem_state["max"] = max(sem_state["max"], sem_state["holders"])
            time.sleep(0.2)
            with st_guard:
                sem_state["holders"] -= 1

    threads = [threading.Thread(target=lease, args=(zk, i)) for i, zk in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not any(t.is_alive() for t in threads), "semaphore workers finished")
    eq(2, sem_state["max"], "semaphore allows exactly two holders")


if __name__ == "__main__":
    run("kazoo_lock", body)
