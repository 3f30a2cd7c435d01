"""kazoo: Counter incremented concurrently by five clients (optimistic versioned writes)."""

import threading

from compat_common import check, client, eq, run

CLIENTS = 5
INCREMENTS = 30


def body(hosts, base):
    clients = [client(hosts) for _ in range(CLIENTS)]
    errors = []

    def work(zk):
        try:
            counter = zk.Counter(base + "/counter")
            for _ in range(INCREMENTS):
                counter += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(zk,)) for zk in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not any(t.is_alive() for t in threads), "counter workers finished")
    eq([], errors, "errors")
    # The last increments may have been made through other servers than clients[0]'s.
    clients[0].sync(base + "/counter")
    counter = clients[0].Counter(base + "/counter")
    eq(CLIENTS * INCREMENTS, counter.value, "counter value")
    counter -= 7
    eq(CLIENTS * INCREMENTS - 7, counter.value, "after a decrement")
    version = clients[0].exists(base + "/counter").version
    eq(CLIENTS * INCREMENTS + 1, version, "one successful write per change")

    f = clients[1].Counter(base + "/float", default=0.0)
    f += 2.5
    f -= 1.0
    eq(1.5, f.value, "float counter")


if __name__ == "__main__":
    run("kazoo_counter", body)
